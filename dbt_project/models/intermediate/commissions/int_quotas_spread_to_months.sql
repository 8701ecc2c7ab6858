{#- Full (unramped) quota per person per calendar month: a quarterly quota is
    spread evenly over its three months; quotas of both kinds for one month add up. -#}
with quotas as (
    select
        employee_number,
        period,
        quota_amount,
        {{ quota_period_start('period') }} as first_month,
        case when period like 'FY%' then 3 else 1 end as months_covered
    from {{ ref('stg_planning__quotas') }}
),

months as (
    select
        quotas.employee_number,
        cast(quotas.first_month + to_months(offsets.month_offset) as date) as month_start,
        quotas.quota_amount / quotas.months_covered as monthly_quota
    from quotas
    cross join (select unnest(range(3)) as month_offset) as offsets
    where offsets.month_offset < quotas.months_covered
)

select employee_number, month_start, sum(monthly_quota) as monthly_quota
from months
group by employee_number, month_start
