{#- The forecast as it stood on each snapshot day: open pipeline by close month
    and forecast category (commit, best case, pipeline), with the weighted
    amount. Read with the bookings of the close month for forecast accuracy. -#}
select
    snapshot_date,
    cast(date_trunc('month', close_date) as date) as close_month,
    cast(coalesce(sum(amount) filter (where forecast_category = 'Commit'), 0) as decimal(18, 2)) as commit_amount,
    cast(coalesce(sum(amount) filter (where forecast_category = 'Best Case'), 0) as decimal(18, 2)) as best_case_amount,
    cast(coalesce(sum(amount) filter (where forecast_category = 'Pipeline'), 0) as decimal(18, 2)) as pipeline_amount,
    cast(coalesce(sum(amount), 0) as decimal(18, 2)) as open_amount,
    cast(coalesce(sum(weighted_amount), 0) as decimal(18, 2)) as weighted_amount,
    cast(count(*) as integer) as open_deals
from {{ ref('fct_pipeline_snapshots') }}
where close_date is not null
group by snapshot_date, date_trunc('month', close_date)
