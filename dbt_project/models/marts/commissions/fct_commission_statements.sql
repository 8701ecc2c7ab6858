{#- One statement per person per plan period: what they earned and are paid. -#}
select
    employee_number,
    plan_id,
    period_start,
    period_end,
    cast(effective_quota as decimal(18, 2)) as effective_quota,
    cast(credited_bookings as decimal(18, 2)) as credited_bookings,
    attainment,
    cast(commission as decimal(18, 2)) as commission,
    cast(spiffs as decimal(18, 2)) as spiffs,
    cast(clawbacks as decimal(18, 2)) as clawbacks,
    cast(earned as decimal(18, 2)) as earned,
    draw_paid,
    draw_balance,
    payout,
    is_assigned
from {{ ref('int_statements_drawn') }}
