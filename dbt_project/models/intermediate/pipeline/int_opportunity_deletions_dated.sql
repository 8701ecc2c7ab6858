{#- When each deleted opportunity was removed: the date of the first delivery
    that brought it with IsDeleted = true (a delivery named by an ISO date or a
    timestamp starting with one; otherwise the row's LastModifiedDate). Read from
    the raw layer because staging keeps only each record's latest delivery. -#}
select
    "Id" as opportunity_id,
    min(coalesce(cast(try_strptime(left(_delivery, 10), '%Y-%m-%d') as date), cast("LastModifiedDate" as date)))
        as deleted_date
from {{ source('crm', 'opportunity') }}
where "IsDeleted"
group by "Id"
