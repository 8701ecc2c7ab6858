{#- Each opportunity's state at the end of every day it changed, from
    OpportunityHistory (several changes in one day: the day's last one wins),
    valid from that day until the day before its next change. With the
    stage map's closed flags, the current owner and the deletion date. -#}
with history as (
    select
        histories.*,
        cast(histories.changed_at as date) as changed_date,
        {#- One ordering of each deal's changes gives everything below: the day's last change is the one
            whose next change falls on a later day, that day ends its validity, and the first change's
            day is when the deal was created. -#}
        cast(lead(histories.changed_at) over by_change as date) as next_change_date,
        cast(first_value(histories.changed_at) over by_change as date) as first_change_date
    from {{ ref('stg_crm__opportunity_histories') }} as histories
    where not histories.is_deleted
    window by_change as (
        partition by histories.opportunity_id order by histories.changed_at, histories.opportunity_history_id
    )
),

day_end_states as (
    select * from history
    where next_change_date is null or next_change_date > changed_date
),

opportunities as (
    select
        opportunities.opportunity_id, opportunities.owner_user_id, opportunities.opportunity_type,
        users.employee_number
    from {{ ref('stg_crm__opportunities') }} as opportunities
    left join {{ ref('stg_crm__users') }} as users on users.user_id = opportunities.owner_user_id
)

select
    states.opportunity_id,
    states.changed_date as valid_from,
    cast(states.next_change_date - interval 1 day as date) as valid_to,
    states.first_change_date as created_date,
    states.stage_name,
    coalesce(stages.is_closed, false) as is_closed,
    coalesce(stages.is_won, false) as is_won,
    stages.funnel_step,
    stages.stage_order,
    states.amount,
    cast(states.probability_percent / 100 as decimal(5, 4)) as probability,
    case states.forecast_category_api
        when 'BestCase' then 'Best Case'
        when 'Forecast' then 'Commit'
        else states.forecast_category_api
    end as forecast_category,
    states.close_date,
    opportunities.owner_user_id,
    opportunities.employee_number as owner_employee_number,
    opportunities.opportunity_type,
    deletions.deleted_date,
    states.first_delivery_id
from day_end_states as states
left join {{ ref('int_stages_configured') }} as stages on stages.stage_name = states.stage_name
left join opportunities on opportunities.opportunity_id = states.opportunity_id
left join {{ ref('int_opportunity_deletions_dated') }} as deletions on deletions.opportunity_id = states.opportunity_id
