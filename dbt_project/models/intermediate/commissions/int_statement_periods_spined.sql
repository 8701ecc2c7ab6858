{#- The months of every statement: a statement is one (person, plan, period) for
    each plan period that overlaps an assignment and starts by the as-of date;
    its months are those of the period that overlap an assignment of the person
    to the plan (an open assignment runs on past the as-of date, so a current
    quarter keeps its whole quota). Effective quota is computed per month. -#}
with assignments as (
    select * from {{ ref('int_assignments_resolved') }}
),

periods as (
    select distinct
        assignments.employee_number,
        assignments.plan_id,
        assignments.plan_period,
        assignments.ramp,
        assignments.hire_date,
        assignments.termination_date,
        {{ plan_period_start('assignments.plan_period', 'spine.month_start') }} as period_start
    from assignments
    cross join lateral ({{ month_spine('assignments.start_date', 'assignments.effective_end_date') }}) as spine
    where assignments.start_date <= assignments.effective_end_date
),

period_months as (
    select
        periods.*,
        cast(periods.period_start + to_months(offsets.month_offset) as date) as month_start
    from periods
    cross join range(3) as offsets (month_offset)
    where offsets.month_offset < case periods.plan_period when 'month' then 1 else 3 end
)

select period_months.*
from period_months
where exists (
    select 1
    from assignments
    where assignments.employee_number = period_months.employee_number
        and assignments.plan_id = period_months.plan_id
        and assignments.start_date <= last_day(period_months.month_start)
        and coalesce(assignments.end_date, date '9999-12-31') >= period_months.month_start
)
