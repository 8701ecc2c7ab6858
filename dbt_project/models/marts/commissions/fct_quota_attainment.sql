{#- One row per person per plan period: quota and attainment (commissions.md, Quota). -#}
select
    employee_number,
    plan_id,
    period_start,
    period_end,
    cast(full_quota as decimal(18, 2)) as full_quota,
    cast(effective_quota as decimal(18, 2)) as effective_quota,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    cast(case when effective_quota <> 0 then round(credited_bookings / effective_quota, 6) end as decimal(18, 6))
        as attainment
from {{ ref('int_statements_drawn') }}
