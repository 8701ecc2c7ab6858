{#- When each person in sales (dim_sales_reps) first reached a full monthly
    quota, for rep_ramp_days (kpi_monthly). The first month m, from the month
    of the hire date on, with a full (unramped) quota > 0 for m in quotas.csv
    (int_quotas_spread_to_months: a quarterly quota is a third a month) whose
    credited bookings in m — Σ credited_amount of the won deals credited to the
    person (int_credits_allocated, splits applied, on or after the hire date),
    by CloseDate — reach that quota. ramped_on is the CloseDate in m on which
    the month's running credited bookings first reach it; ramp_days =
    ramped_on − hire_date. Null for someone who has not ramped yet. Compared
    exactly, in thirds of a cent. -#}
with reps as (
    select employee_number, hire_date
    from {{ ref('int_sales_reps_joined') }}
    where hire_date is not null
),

quotas as (
    select employee_number, month_start, monthly_quota_thirds_of_cents
    from {{ ref('int_quotas_spread_to_months') }}
    where monthly_quota_thirds_of_cents > 0
),

daily_credits as (
    select
        credits.employee_number,
        credits.close_date,
        cast(date_trunc('month', credits.close_date) as date) as month_start,
        sum(credits.credited_amount) as credited
    from {{ ref('int_credits_allocated') }} as credits
    inner join reps on reps.employee_number = credits.employee_number
    where credits.close_date >= reps.hire_date
    group by credits.employee_number, credits.close_date, month_start
),

month_to_date as (
    select
        *,
        sum(credited) over (
            partition by employee_number, month_start
            order by close_date
            rows between unbounded preceding and current row
        ) as credited_to_date
    from daily_credits
),

reached as (
    select month_to_date.employee_number, min(month_to_date.close_date) as ramped_on
    from month_to_date
    inner join quotas
        on quotas.employee_number = month_to_date.employee_number
        and quotas.month_start = month_to_date.month_start
    where cast(month_to_date.credited_to_date * 300 as hugeint) >= quotas.monthly_quota_thirds_of_cents
    group by month_to_date.employee_number
)

select
    reps.employee_number,
    reps.hire_date,
    cast(date_trunc('month', reached.ramped_on) as date) as ramp_month,
    reached.ramped_on,
    cast(datediff('day', reps.hire_date, reached.ramped_on) as integer) as ramp_days
from reps
left join reached on reached.employee_number = reps.employee_number
