{#- The months of kpi_monthly (marts.md): from the first month with an
    opportunity created or MRR through the as-of month. -#}
with bounds as (
    select least(
        (select min(created_date) from {{ ref('int_opportunities_classified') }}),
        (select min(month) from {{ ref('int_mrr_months_classified') }})
    ) as first_day,
    (select as_of_date from {{ ref('int_run_as_of') }}) as last_day
)

select
    spine.month_start as month,
    last_day(spine.month_start) as month_end
from ({{ month_spine('(select first_day from bounds)', '(select last_day from bounds)') }}) as spine
