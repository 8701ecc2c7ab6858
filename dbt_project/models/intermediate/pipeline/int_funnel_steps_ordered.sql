{#- The funnel's steps in order (marts.md, rpt_funnel_conversion), from the
    stage map setting: `lead` first (the CRM's leads come before any
    opportunity), then the stage map's funnel steps in the order of their first
    stage. A step whose stages all close as lost is no step: a loss ends a step.
    The step of the won stages is the last; every opportunity enters the first
    step after `lead` when it is created. -#}
with map_steps as (
    select
        funnel_step,
        min(stage_order) as first_stage_order,
        bool_or(is_won) as is_won_step
    from {{ ref('int_stages_configured') }}
    where funnel_step <> 'lead'  -- the leads' own step comes first, below; a stage mapped to it joins it
    group by funnel_step
    having bool_or(not is_closed or is_won)
)

select
    cast('lead' as varchar) as funnel_step,
    1 as step_order,
    false as is_won_step

union all

select
    funnel_step,
    cast(1 + row_number() over (order by first_stage_order) as integer) as step_order,
    is_won_step
from map_steps
