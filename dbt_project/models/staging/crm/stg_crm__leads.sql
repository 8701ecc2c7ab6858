{{ incremental_by_delivery('lead_id') }}

with latest as (
    {{ latest_by_id(source('crm', 'lead'), ['"Id"']) }}
)

select
    "Id" as lead_id,
    "Company" as company_name,
    "Status" as lead_status,
    "LeadSource" as lead_source,
    "OwnerId" as owner_user_id,
    "CreatedDate" as created_at,
    "IsConverted" as is_converted,
    "ConvertedDate" as converted_date,
    "ConvertedAccountId" as converted_account_id,
    "ConvertedOpportunityId" as converted_opportunity_id,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
