{#- Effective quota of every month that has a quota, per person, known in
    advance (marts.md, pipeline_coverage): full monthly quota x ramp factor x
    share of the month employed (commissions.md, Quota; macros/quotas.sql).

    Unlike a statement's quota (int_quotas_ramped) it needs no statement: a
    future quarter has none yet, while its quotas, hire and termination dates
    and plan assignments are known. The ramp is that of the plan assigned in the
    month (the assignment starting last, if two overlap the month); a month with
    no assignment has no ramp (factor 1.0). Assignment dates do not reduce it. -#}
with quota_months as (
    select * from {{ ref('int_quotas_spread_to_months') }}
),

month_ramps as (
    select quota_months.employee_number, quota_months.month_start, assignments.ramp
    from quota_months
    inner join {{ ref('int_assignments_resolved') }} as assignments
        on assignments.employee_number = quota_months.employee_number
        and assignments.start_date <= last_day(quota_months.month_start)
        and coalesce(assignments.end_date, date '9999-12-31') >= quota_months.month_start
    qualify row_number() over (
        partition by quota_months.employee_number, quota_months.month_start
        order by assignments.start_date desc, assignments.plan_id asc
    ) = 1
),

measured as (
    select
        quota_months.employee_number,
        quota_months.month_start,
        quota_months.monthly_quota_thirds_of_cents,
        {{ effective_quota_numerator(
            'quota_months.monthly_quota_thirds_of_cents', 'month_ramps.ramp',
            'employees.hire_date', 'employees.termination_date', 'quota_months.month_start'
        ) }} as effective_numerator
    from quota_months
    left join month_ramps
        on month_ramps.employee_number = quota_months.employee_number
        and month_ramps.month_start = quota_months.month_start
    left join {{ ref('stg_hr__employees') }} as employees
        on employees.employee_number = quota_months.employee_number
)

select
    employee_number,
    month_start,
    monthly_quota_thirds_of_cents,
    effective_numerator,
    {{ cents_half_up('effective_numerator', effective_quota_denominator()) }} as effective_quota
from measured
