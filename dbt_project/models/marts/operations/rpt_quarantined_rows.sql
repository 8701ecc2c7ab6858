{#- The quarantine, for BI and the data team: what was set aside, where and why.
    A row corrected in a later delivery lands with it; its quarantine record stays. -#}
select
    source_name,
    table_name,
    delivery_id,
    file_path,
    line_number,
    record_id,
    rule,
    column_name,
    value,
    record,
    run_id,
    quarantined_at
from {{ ref('stg_lake__quarantined_rows') }}
