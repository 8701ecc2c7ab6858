{#- What the published marts were built from: every delivery in the raw lake,
    with the run's as-of date, so that a reader (and each generated report's
    footer) can say which exports a figure comes from. -#}
select
    deliveries.source_name,
    deliveries.table_name,
    deliveries.delivery_id,
    cast(deliveries.row_count as bigint) as row_count,
    deliveries.loaded_at,
    as_of.as_of_date
from {{ ref('stg_lake__deliveries') }} as deliveries
cross join {{ ref('int_run_as_of') }} as as_of
