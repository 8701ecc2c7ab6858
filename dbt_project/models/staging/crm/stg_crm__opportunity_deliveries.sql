{#- Every delivery of every opportunity (the raw layer keeps them all), as it
    arrived in that delivery: whether it was deleted, and when it changed. One
    row per opportunity per delivery (the file's last line of it wins). The
    latest state of each opportunity is stg_crm__opportunities. -#}
with delivered as (
    select
        "Id",
        _delivery,
        "IsDeleted",
        "LastModifiedDate",
        row_number() over (partition by "Id", _delivery order by _line_number desc) as recency_in_delivery
    from {{ source('crm', 'opportunity') }}
)

select
    "Id" as opportunity_id,
    _delivery as delivery_id,
    coalesce("IsDeleted", false) as is_deleted,
    "LastModifiedDate" as last_modified_at
from delivered
where recency_in_delivery = 1
