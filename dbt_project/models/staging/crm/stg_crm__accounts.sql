{{ incremental_by_delivery('account_id') }}

with latest as (
    {{ latest_by_id(source('crm', 'account'), ['"Id"']) }}
)

select
    "Id" as account_id,
    "Name" as account_name,
    "Type" as account_type,
    "Industry" as industry,
    "BillingCountry" as billing_country,
    "NumberOfEmployees" as number_of_employees,
    {{ money('"AnnualRevenue"') }} as annual_revenue,
    "OwnerId" as owner_user_id,
    "CreatedDate" as created_at,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
