with latest as (
    {{ latest_by_id(source('crm', 'opportunity_history'), ['"Id"']) }}
)

select
    "Id" as opportunity_history_id,
    "OpportunityId" as opportunity_id,
    "StageName" as stage_name,
    {{ money('"Amount"') }} as amount,
    cast("Probability" as double) as probability_percent,
    "ForecastCategory" as forecast_category_api,
    "CloseDate" as close_date,
    "CreatedDate" as changed_at,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
