{#- One row per opportunity that is not deleted, as of its latest delivery. -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where not is_deleted
),

users as (
    select user_id, employee_number from {{ ref('stg_crm__users') }}
),

stages as (
    select * from {{ ref('int_stages_configured') }}
),

shaped as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_user_id,
        users.employee_number as owner_employee_number,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.stage_name,
        stages.funnel_step,
        stages.stage_order,
        opportunities.forecast_category,
        opportunities.amount,
        cast(opportunities.probability_percent / 100 as decimal(5, 4)) as probability,
        cast(opportunities.created_at as date) as created_date,
        opportunities.close_date,
        opportunities.is_closed,
        opportunities.is_won
    from opportunities
    left join users on users.user_id = opportunities.owner_user_id
    left join stages on stages.stage_name = opportunities.stage_name
)

select
    shaped.opportunity_id,
    shaped.account_id,
    shaped.owner_user_id,
    shaped.owner_employee_number,
    shaped.opportunity_type,
    shaped.lead_source,
    shaped.stage_name,
    shaped.funnel_step,
    shaped.stage_order,
    shaped.forecast_category,
    shaped.amount,
    shaped.probability,
    {{ weighted_amount('shaped.amount', 'shaped.probability') }} as weighted_amount,
    shaped.created_date,
    shaped.close_date,
    shaped.is_closed,
    shaped.is_won,
    case when shaped.is_closed then {{ dbt.datediff('shaped.created_date', 'shaped.close_date', 'day') }} end
        as sales_cycle_days,
    {#- Open deals: days since creation up to the as-of date; closed deals: their sales cycle. -#}
    case
        when shaped.is_closed then {{ dbt.datediff('shaped.created_date', 'shaped.close_date', 'day') }}
        else {{ dbt.datediff('shaped.created_date', 'as_of.as_of_date', 'day') }}
    end as days_open
from shaped
cross join as_of
