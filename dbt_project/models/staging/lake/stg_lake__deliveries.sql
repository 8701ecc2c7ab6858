{#- Every delivery landed in the raw lake: one row per raw table x delivery,
    with its row count and when it landed. Generated from the lake's own files,
    so a new export (or source) needs no change here. The run's as-of date and
    the reports' footer are taken from here. -#}
select
    regexp_extract(filename, '/lake/raw/([^/]+)/[^/]+/delivery=', 1) as source_name,
    regexp_extract(filename, '/lake/raw/[^/]+/([^/]+)/delivery=', 1) as table_name,
    _delivery as delivery_id,
    count(*) as row_count,
    min(_loaded_at) as loaded_at
from {{ source('lake', 'raw_files') }}
group by all
