{#- Effective quota per statement (person, plan, period): the sum over its months
    of full monthly quota x ramp factor x share of the month employed, rounded
    half-up to cents once (commission_rules.md 3-4).

    Exact arithmetic, because this is pay: each month's term is an integer
    numerator over one common denominator. The monthly quota is in thirds of a
    cent, the ramp factor (six decimals in staging) in millionths, and the share
    employed is days / days-in-month, put over 377580 = lcm(28, 29, 30, 31). So
    a month contributes thirds x millionths x days x (377580 / days-in-month),
    and the period's quota in cents is the sum / (3 x 10^6 x 377580). -#}
{%- set common_days = 377580 %}
{%- set denominator = 3 * 1000000 * common_days %}
with statement_months as (
    select * from {{ ref('int_statement_periods_spined') }}
),

monthly as (
    select
        statement_months.employee_number,
        statement_months.plan_id,
        statement_months.plan_period,
        statement_months.period_start,
        coalesce(quotas.monthly_quota_thirds_of_cents, 0) as quota_thirds_of_cents,
        {#- Tenure month 1 is the calendar month of the hire date; before it, 0. -#}
        case
            when statement_months.hire_date is null
                or statement_months.month_start < date_trunc('month', statement_months.hire_date) then 0
            else cast(coalesce(
                statement_months.ramp[
                    cast(datediff('month', date_trunc('month', statement_months.hire_date), statement_months.month_start) as integer) + 1
                ],
                1
            ) * 1000000 as hugeint)
        end as ramp_millionths,
        {#- Days employed in the month, hire through termination inclusive; no hire date, none. -#}
        case
            when statement_months.hire_date is null then 0
            else greatest(0,
                datediff('day',
                    greatest(statement_months.month_start, statement_months.hire_date),
                    least(last_day(statement_months.month_start),
                          coalesce(statement_months.termination_date, last_day(statement_months.month_start)))
                ) + 1
            )
        end as days_employed,
        day(last_day(statement_months.month_start)) as days_in_month
    from statement_months
    left join {{ ref('int_quotas_spread_to_months') }} as quotas
        on quotas.employee_number = statement_months.employee_number
        and quotas.month_start = statement_months.month_start
),

summed as (
    select
        employee_number,
        plan_id,
        plan_period,
        period_start,
        sum(quota_thirds_of_cents) as full_thirds_of_cents,
        sum(quota_thirds_of_cents * ramp_millionths * days_employed * ({{ common_days }} // days_in_month))
            as effective_numerator
    from monthly
    group by employee_number, plan_id, plan_period, period_start
)

select
    employee_number,
    plan_id,
    plan_period,
    period_start,
    {{ plan_period_end('plan_period', 'period_start') }} as period_end,
    {#- Half-up rounding of a non-negative fraction n / d to an integer: (2n + d) // (2d). -#}
    cast(cast((2 * full_thirds_of_cents + 3) // 6 as decimal(18, 0)) * cast(0.01 as decimal(3, 2)) as decimal(18, 2))
        as full_quota,
    cast(cast((2 * effective_numerator + {{ denominator }}) // {{ 2 * denominator }} as decimal(18, 0))
        * cast(0.01 as decimal(3, 2)) as decimal(18, 2)) as effective_quota
from summed
