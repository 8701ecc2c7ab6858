with spiffs as (
    {{ from_latest_comp_plan_file('comp_plan_spiff') }}
)

select
    plan_id,
    spiff_id,
    opportunity_type,
    {{ money('min_amount') }} as min_amount,
    {{ money('amount') }} as amount,
    _delivery as delivery_id
from spiffs
