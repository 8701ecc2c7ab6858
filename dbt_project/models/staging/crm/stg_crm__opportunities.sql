{{ incremental_by_delivery('opportunity_id') }}

with latest as (
    {{ latest_by_id(source('crm', 'opportunity'), ['"Id"']) }}
)

select
    "Id" as opportunity_id,
    "Name" as opportunity_name,
    "AccountId" as account_id,
    "OwnerId" as owner_user_id,
    "Type" as opportunity_type,
    "LeadSource" as lead_source,
    "StageName" as stage_name,
    {{ money('"Amount"') }} as amount,
    cast("Probability" as double) as probability_percent,
    "ForecastCategoryName" as forecast_category,
    "CloseDate" as close_date,
    "CreatedDate" as created_at,
    "IsClosed" as is_closed,
    "IsWon" as is_won,
    "LastModifiedDate" as last_modified_at,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
