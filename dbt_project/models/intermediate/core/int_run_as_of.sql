{#- The as-of date of the run (inputs.md): the date of the latest delivery
    named by an ISO date (or by a timestamp that starts with one), over every
    raw input. Statements, snapshots, MRR and KPI months run through it. -#}
select
    cast(max(try_strptime(left(delivery_id, 10), '%Y-%m-%d')) as date) as as_of_date,
    count(distinct delivery_id) as delivery_count
from {{ ref('stg_lake__deliveries') }}
