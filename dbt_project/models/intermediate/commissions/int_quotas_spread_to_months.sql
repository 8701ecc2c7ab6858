{#- Full (unramped) quota per person per calendar month: a quarterly quota is
    spread evenly over its three months; quotas of both kinds for one month add
    up. A third of a quarterly quota need not be a whole cent, so the exact
    amount is kept as an integer count of thirds of a cent; monthly_quota is
    the same amount in dollars, for reading. -#}
with quotas as (
    select
        employee_number,
        quota_amount,
        {{ quota_period_start('period') }} as first_month,
        case when period like 'FY%' then 3 else 1 end as months_covered
    from {{ ref('stg_planning__quotas') }}
),

months as (
    select
        quotas.employee_number,
        cast(quotas.first_month + to_months(offsets.month_offset) as date) as month_start,
        {#- cents x 3 / months covered: exact, as a quarter's three months hold one third each. -#}
        cast(quotas.quota_amount * 100 as hugeint) * (3 // quotas.months_covered) as quota_thirds_of_cents
    from quotas
    cross join range(3) as offsets (month_offset)
    where offsets.month_offset < quotas.months_covered
)

select
    employee_number,
    month_start,
    sum(quota_thirds_of_cents) as monthly_quota_thirds_of_cents,
    cast(round(sum(quota_thirds_of_cents) / 300, 2) as decimal(18, 2)) as monthly_quota
from months
group by employee_number, month_start
