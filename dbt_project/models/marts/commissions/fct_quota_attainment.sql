{#- One row per person per plan period: quota and attainment (commissions.md, Quota). -#}
select
    employee_number,
    plan_id,
    period_start,
    period_end,
    cast(full_quota as decimal(18, 2)) as full_quota,
    cast(effective_quota as decimal(18, 2)) as effective_quota,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    attainment
from {{ ref('int_statements_drawn') }}
