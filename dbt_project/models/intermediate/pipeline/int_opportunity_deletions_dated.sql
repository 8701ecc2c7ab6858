{#- When each deleted opportunity was removed: the date of the first delivery
    that brought it with IsDeleted = true (a delivery named by an ISO date or a
    timestamp starting with one; otherwise the row's LastModifiedDate). An
    opportunity restored since (its latest delivery is not deleted) is not here;
    one deleted, restored and deleted again counts from its last deletion. -#}
with deliveries as (
    select * from {{ ref('stg_crm__opportunity_deliveries') }}
),

deleted_now as (
    select opportunity_id
    from {{ ref('stg_crm__opportunities') }}
    where is_deleted
),

last_restored as (
    select opportunity_id, max(delivery_id) as delivery_id
    from deliveries
    where not is_deleted
    group by opportunity_id
)

select
    deliveries.opportunity_id,
    min(coalesce(
        cast(try_strptime(left(deliveries.delivery_id, 10), '%Y-%m-%d') as date),
        cast(deliveries.last_modified_at as date)
    )) as deleted_date
from deliveries
inner join deleted_now on deleted_now.opportunity_id = deliveries.opportunity_id
left join last_restored on last_restored.opportunity_id = deliveries.opportunity_id
where deliveries.is_deleted
    and (last_restored.delivery_id is null or deliveries.delivery_id > last_restored.delivery_id)
group by deliveries.opportunity_id
