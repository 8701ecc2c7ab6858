{{ incremental_by_delivery('subscription_item_id') }}

with latest as (
    {{ latest_by_id(source('billing', 'subscription_item'), ['"id"']) }}
)

select
    "id" as subscription_item_id,
    "subscription" as subscription_id,
    "price.id" as price_id,
    {{ cents_to_dollars('"price.unit_amount"') }} as unit_amount,
    "price.currency" as price_currency,
    "price.recurring.interval" as recurring_interval,
    "price.recurring.interval_count" as recurring_interval_count,
    "quantity" as quantity,
    "created" as created_at,
    _delivery as delivery_id
from latest
