{#- Quota per statement (person, plan, period), rounded half-up to cents once
    (commission_rules.md 3-4):
    - full_quota: what quotas.csv gives the person for the whole period, every
      month of it, before ramp, proration and assignment dates (marts.md);
    - effective_quota: the sum over the statement's months (those of the period
      that overlap an assignment) of full monthly quota x ramp factor x share of
      the month employed, computed exactly (macros/quotas.sql). -#}
with statement_months as (
    select * from {{ ref('int_statement_periods_spined') }}
),

quota_months as (
    select * from {{ ref('int_quotas_spread_to_months') }}
),

effective as (
    select
        statement_months.employee_number,
        statement_months.plan_id,
        statement_months.plan_period,
        statement_months.period_start,
        sum({{ effective_quota_numerator(
            'coalesce(quota_months.monthly_quota_thirds_of_cents, 0)', 'statement_months.ramp',
            'statement_months.hire_date', 'statement_months.termination_date', 'statement_months.month_start'
        ) }}) as effective_numerator
    from statement_months
    left join quota_months
        on quota_months.employee_number = statement_months.employee_number
        and quota_months.month_start = statement_months.month_start
    group by all
),

periods as (
    select *, {{ plan_period_end('plan_period', 'period_start') }} as period_end
    from effective
),

full_quotas as (
    select
        periods.employee_number,
        periods.plan_id,
        periods.period_start,
        coalesce(sum(quota_months.monthly_quota_thirds_of_cents), 0) as full_thirds_of_cents
    from periods
    left join quota_months
        on quota_months.employee_number = periods.employee_number
        and quota_months.month_start between periods.period_start and periods.period_end
    group by all
)

select
    periods.employee_number,
    periods.plan_id,
    periods.plan_period,
    periods.period_start,
    periods.period_end,
    {{ cents_half_up('full_quotas.full_thirds_of_cents', 3) }} as full_quota,
    {{ cents_half_up('periods.effective_numerator', effective_quota_denominator()) }} as effective_quota
from periods
inner join full_quotas
    on full_quotas.employee_number = periods.employee_number
    and full_quotas.plan_id = periods.plan_id
    and full_quotas.period_start = periods.period_start
