with plans as (
    {{ from_latest_comp_plan_file('comp_plan') }}
)

select
    plan_id,
    period as plan_period,
    measure,
    cast(ramp as decimal(18, 6)[]) as ramp,
    cast(cap as decimal(18, 6)) as cap,
    clawback_days,
    {{ money('draw_amount') }} as draw_amount,
    draw_recoverable,
    _delivery as delivery_id
from plans
