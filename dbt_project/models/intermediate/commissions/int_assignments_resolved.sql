{#- Plan assignments with their plan's terms, the person's employment dates and
    the date each assignment runs through (open ones run through the as-of date). -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
)

select
    assignments.employee_number,
    assignments.plan_id,
    assignments.start_date,
    assignments.end_date,
    least(coalesce(assignments.end_date, as_of.as_of_date), as_of.as_of_date) as effective_end_date,
    plans.plan_period,
    plans.ramp,
    plans.cap,
    plans.clawback_days,
    plans.draw_amount,
    plans.draw_recoverable,
    employees.hire_date,
    employees.termination_date
from {{ ref('stg_planning__comp_plan_assignments') }} as assignments
cross join as_of
inner join {{ ref('stg_planning__comp_plans') }} as plans on plans.plan_id = assignments.plan_id
left join {{ ref('stg_hr__employees') }} as employees on employees.employee_number = assignments.employee_number
