{#- When each deleted opportunity was removed: the date of the first delivery
    that brought it with IsDeleted = true (a delivery named by an ISO date or a
    timestamp starting with one; otherwise the row's LastModifiedDate). Read from
    the raw layer because staging keeps only each record's latest delivery. An
    opportunity restored since (its latest delivery is not deleted) is not here;
    one deleted, restored and deleted again counts from its last deletion. -#}
with deleted_now as (
    select opportunity_id
    from {{ ref('stg_crm__opportunities') }}
    where is_deleted
),

last_restored as (
    select "Id" as opportunity_id, max(_delivery) as delivery_id
    from {{ source('crm', 'opportunity') }}
    where not coalesce("IsDeleted", false)
    group by "Id"
)

select
    raw."Id" as opportunity_id,
    min(coalesce(cast(try_strptime(left(raw._delivery, 10), '%Y-%m-%d') as date), cast(raw."LastModifiedDate" as date)))
        as deleted_date
from {{ source('crm', 'opportunity') }} as raw
inner join deleted_now on deleted_now.opportunity_id = raw."Id"
left join last_restored on last_restored.opportunity_id = raw."Id"
where raw."IsDeleted"
    and (last_restored.delivery_id is null or raw._delivery > last_restored.delivery_id)
group by raw."Id"
