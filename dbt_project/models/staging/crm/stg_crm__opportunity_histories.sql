{{ incremental_by_delivery('opportunity_history_id') }}

with latest as (
    {{ latest_by_id(source('crm', 'opportunity_history'), ['"Id"']) }}
),

{#- A full export re-delivers old history: a row is new in the delivery that first brought its Id
    (an incremental build looks it up only for the Ids its new deliveries bring). -#}
first_seen as (
    select "Id" as opportunity_history_id, min(_delivery) as first_delivery_id
    from {{ source('crm', 'opportunity_history') }}
    {%- if is_incremental() %}
    where "Id" in (select latest."Id" from latest)
    {%- endif %}
    group by "Id"
)

select
    latest."Id" as opportunity_history_id,
    latest."OpportunityId" as opportunity_id,
    latest."StageName" as stage_name,
    {{ money('latest."Amount"') }} as amount,
    cast(latest."Probability" as double) as probability_percent,
    latest."ForecastCategory" as forecast_category_api,
    latest."CloseDate" as close_date,
    latest."CreatedDate" as changed_at,
    coalesce(latest."IsDeleted", false) as is_deleted,
    latest._delivery as delivery_id,
    first_seen.first_delivery_id
from latest
inner join first_seen on first_seen.opportunity_history_id = latest."Id"
