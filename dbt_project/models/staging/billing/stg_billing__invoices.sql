{{ incremental_by_delivery('invoice_id') }}

with latest as (
    {{ latest_by_id(source('billing', 'invoice'), ['"id"']) }}
)

select
    "id" as invoice_id,
    "number" as invoice_number,
    "customer" as customer_id,
    "subscription" as subscription_id,
    "status" as invoice_status,
    "billing_reason" as billing_reason,
    "currency" as currency,
    {{ cents_to_dollars('"subtotal"') }} as subtotal,
    {{ cents_to_dollars('"tax"') }} as tax,
    {{ cents_to_dollars('"total"') }} as total,
    {{ cents_to_dollars('"amount_due"') }} as amount_due,
    {{ cents_to_dollars('"amount_paid"') }} as amount_paid,
    {{ cents_to_dollars('"amount_remaining"') }} as amount_remaining,
    "created" as created_at,
    "period_start" as period_start_at,
    "period_end" as period_end_at,
    "due_date" as due_at,
    "status_transitions.paid_at" as paid_at,
    "status_transitions.voided_at" as voided_at,
    _delivery as delivery_id
from latest
