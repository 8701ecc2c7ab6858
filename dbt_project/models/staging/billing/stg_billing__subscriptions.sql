{{ incremental_by_delivery('subscription_id') }}

with latest as (
    {{ latest_by_id(source('billing', 'subscription'), ['"id"']) }}
)

select
    "id" as subscription_id,
    "customer" as customer_id,
    "status" as subscription_status,
    "created" as created_at,
    "start_date" as started_at,
    "current_period_start" as current_period_start_at,
    "current_period_end" as current_period_end_at,
    "cancel_at_period_end" as is_cancel_at_period_end,
    "canceled_at" as canceled_at,
    "ended_at" as ended_at,
    "metadata.salesforce_opportunity_id" as salesforce_opportunity_id,
    _delivery as delivery_id
from latest
