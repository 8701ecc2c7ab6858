with latest as (
    {{ latest_by_id(source('billing', 'refund'), ['"id"']) }}
)

select
    "id" as refund_id,
    "charge" as charge_id,
    "invoice" as invoice_id,
    {{ cents_to_dollars('"amount"') }} as amount,
    "currency" as currency,
    "created" as created_at,
    "reason" as refund_reason,
    "status" as refund_status,
    _delivery as delivery_id
from latest
