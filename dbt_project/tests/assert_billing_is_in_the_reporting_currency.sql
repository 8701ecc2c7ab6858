{#- Revenue and MRR add up amounts as they are: a Stripe invoice, refund or price
    in another currency than the reporting currency (setting
    SALESOPS_REPORTING_CURRENCY) would be summed as if it were one. Until
    salesops converts currencies, such rows stop the run here. -#}
{%- set currency = var('reporting_currency') | lower %}
select 'invoice' as object, invoice_id as id, currency
from {{ ref('stg_billing__invoices') }}
where lower(currency) <> '{{ currency }}'
union all
select 'refund', refund_id, currency
from {{ ref('stg_billing__refunds') }}
where lower(currency) <> '{{ currency }}'
union all
select 'subscription_item', subscription_item_id, price_currency
from {{ ref('stg_billing__subscription_items') }}
where lower(price_currency) <> '{{ currency }}'
