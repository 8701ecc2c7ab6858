{#- The rows ingestion set aside: one per delivered row and rule it broke. -#}
select
    source as source_name,
    entity as table_name,
    _delivery as delivery_id,
    _file as file_path,
    _line_number as line_number,
    record_id,
    rule,
    column_name,
    value,
    record,
    run_id,
    _loaded_at as quarantined_at
from {{ source('lake', 'quarantined_rows') }}
