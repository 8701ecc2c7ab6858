{#- Effective quota per statement (person, plan, period): the sum over its months
    of full monthly quota x ramp factor x share of the month employed, rounded
    to cents once (commission_rules.md 3-4). -#}
with statement_months as (
    select * from {{ ref('int_statement_periods_spined') }}
),

monthly as (
    select
        statement_months.employee_number,
        statement_months.plan_id,
        statement_months.plan_period,
        statement_months.period_start,
        statement_months.month_start,
        coalesce(quotas.monthly_quota, 0) as monthly_quota,
        {#- Tenure month 1 is the calendar month of the hire date. -#}
        case
            when statement_months.month_start < date_trunc('month', statement_months.hire_date) then 0.0
            else coalesce(
                statement_months.ramp[
                    cast(datediff('month', date_trunc('month', statement_months.hire_date), statement_months.month_start) as integer) + 1
                ],
                1.0
            )
        end as ramp_factor,
        {#- Days employed in the month (hire through termination, inclusive) / days in
            the month; no HR hire date, no days employed. -#}
        coalesce(greatest(0,
            datediff('day',
                greatest(statement_months.month_start, statement_months.hire_date),
                least(last_day(statement_months.month_start),
                      coalesce(statement_months.termination_date, last_day(statement_months.month_start)))
            ) + 1
        ), 0) / day(last_day(statement_months.month_start)) as share_employed
    from statement_months
    left join {{ ref('int_quotas_spread_to_months') }} as quotas
        on quotas.employee_number = statement_months.employee_number
        and quotas.month_start = statement_months.month_start
)

select
    employee_number,
    plan_id,
    plan_period,
    period_start,
    {{ plan_period_end('plan_period', 'period_start') }} as period_end,
    cast(round(sum(monthly_quota), 2) as decimal(18, 2)) as full_quota,
    cast(round(sum(monthly_quota * ramp_factor * share_employed), 2) as decimal(18, 2)) as effective_quota
from monthly
group by employee_number, plan_id, plan_period, period_start
