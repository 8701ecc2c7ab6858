{#- MetricFlow's time spine for the dbt semantic layer (models/semantic): one
    row per day, with the fiscal quarter and fiscal year it falls in (the
    custom granularities metric_time__fiscal_quarter and
    metric_time__fiscal_year, var fiscal_year_start_month). Plain SQL (no
    dbt_utils offline); the range covers any date a deal, an MRR month or a
    plan period can carry, with room on both sides. `salesops metrics`, which
    reads the published database, builds the same spine in memory
    (salesops/metrics.py). -#}
with days as (
    select cast(days.day as date) as date_day
    from range(date '2000-01-01', date '2051-01-01', interval 1 day) as days (day)
)

select
    date_day,
    {{ fiscal_quarter_start('date_day') }} as fiscal_quarter_start,
    cast(date_trunc('month', date_day) - to_months({{ fiscal_month_index('date_day') }}) as date) as fiscal_year_start
from days
