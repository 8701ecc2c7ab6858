{#- One row per open opportunity per day, as it stood at the end of that day,
    rebuilt from OpportunityHistory through the run's as-of date.

    Incremental: a run adds the days after the last snapshot. If a delivery
    since the last build brought history (or a deletion) dated on or before an
    existing snapshot day, the days from that date on are rebuilt too: every
    row of a rebuilt day is replaced (delete+insert on snapshot_date). -#}
-- depends_on: {{ ref('int_opportunity_deletions_dated') }}
{{ config(
    materialized='incremental',
    unique_key='snapshot_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

latest_delivery as (
    select max(first_delivery_id) as delivery_id from states
),

first_day as (
    {% if is_incremental() %}
    select least(
        (select max(snapshot_date) + 1 from {{ this }}),
        -- history first delivered since the last build, dated on an existing day
        coalesce((
            select min(valid_from) from states
            where first_delivery_id > (select max(built.built_from_delivery_id) from {{ this }} as built)
        ), date '9999-12-31'),
        -- deletions of opportunities still shown on or after their deletion date
        coalesce((
            select min(deletions.deleted_date)
            from {{ ref('int_opportunity_deletions_dated') }} as deletions
            inner join {{ this }} as built
                on built.opportunity_id = deletions.opportunity_id
                and built.snapshot_date >= deletions.deleted_date
        ), date '9999-12-31')
    ) as day
    {% else %}
    select min(valid_from) as day from states
    {% endif %}
),

days as (
    {{ day_spine('(select day from first_day)', '(select as_of_date from as_of)') }}
)

select
    days.day as snapshot_date,
    states.opportunity_id,
    states.owner_employee_number,
    states.stage_name,
    states.forecast_category,
    states.amount,
    states.probability,
    {{ weighted_amount('states.amount', 'states.probability') }} as weighted_amount,
    states.close_date,
    states.created_date,
    (select latest_delivery.delivery_id from latest_delivery) as built_from_delivery_id
from days
inner join states on {{ is_open_on('states', 'days.day') }}
