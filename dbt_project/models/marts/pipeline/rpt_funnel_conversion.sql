{#- The funnel by creation cohort: per cohort month and funnel step (lead ->
    prospect -> opportunity -> customer, from the stage map), how many entered
    the step, how many of them reached the next step and the won step, and how
    long those that left the step stayed in it. What each lead and opportunity
    reached is in int_lead_funnel_steps_reached and
    int_opportunity_funnel_steps_reached; the definitions in _funnel__models.yml. -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

funnel_steps as (
    select * from {{ ref('int_funnel_steps_ordered') }}
),

step_members as (
    select cohort_month, 'lead' as funnel_step, has_advanced, has_won, days_in_step
    from {{ ref('int_lead_funnel_steps_reached') }}
    union all
    select cohort_month, funnel_step, has_advanced, has_won, days_in_step
    from {{ ref('int_opportunity_funnel_steps_reached') }}
),

cohort_months as (
    {{ month_spine(
        '(select min(cohort_month) from step_members)',
        '(select as_of_date from as_of)'
    ) }}
),

counted as (
    select
        cohort_month,
        funnel_step,
        count(*) as entered,
        count(*) filter (where has_advanced) as advanced,
        count(*) filter (where has_won) as won,
        count(days_in_step) as exited,
        median(days_in_step) as median_days_in_step
    from step_members
    group by cohort_month, funnel_step
)

select
    cohort_months.month_start as cohort_month,
    funnel_steps.funnel_step,
    cast(funnel_steps.step_order as integer) as step_order,
    cast(coalesce(counted.entered, 0) as bigint) as entered,
    cast(case when not funnel_steps.is_won_step then coalesce(counted.advanced, 0) end as bigint) as advanced,
    cast(case when not funnel_steps.is_won_step and counted.entered > 0
        then counted.advanced / counted.entered end as decimal(18, 6)) as conversion_rate_to_next,
    cast(coalesce(counted.won, 0) as bigint) as won,
    cast(case when counted.entered > 0 then counted.won / counted.entered end as decimal(18, 6))
        as conversion_rate_to_won,
    cast(coalesce(counted.exited, 0) as bigint) as exited,
    cast(counted.median_days_in_step as decimal(18, 1)) as median_days_in_step
from cohort_months
cross join funnel_steps
left join counted
    on counted.cohort_month = cohort_months.month_start
    and counted.funnel_step = funnel_steps.funnel_step
