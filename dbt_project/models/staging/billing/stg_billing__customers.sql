{{ incremental_by_delivery('customer_id') }}

with latest as (
    {{ latest_by_id(source('billing', 'customer'), ['"id"']) }}
)

select
    "id" as customer_id,
    "name" as customer_name,
    "email" as email,
    "created" as created_at,
    "currency" as currency,
    "delinquent" as is_delinquent,
    "metadata.salesforce_account_id" as salesforce_account_id,
    _delivery as delivery_id
from latest
