with tiers as (
    {{ from_latest_comp_plan_file('comp_plan_tier') }}
)

select
    plan_id,
    tier_index,
    cast(band_from as decimal(18, 6)) as band_from,
    cast(band_to as decimal(18, 6)) as band_to,
    cast(rate as decimal(18, 6)) as rate,
    _delivery as delivery_id
from tiers
