{#- Each Stripe subscription item with its subscription's live window and its
    amount normalised to a month (marts.md, fct_mrr_monthly): unit_amount x
    quantity per interval, x intervals in a year (month 12, year 1, week 52,
    day 365) / 12 / interval_count.

    A month of a year, a week or a day need not be a whole cent (52 / 12 of a
    weekly price), so the exact monthly amount is kept as a fraction of cents:
    monthly_cents_numerator / monthly_cents_denominator. Customer MRR sums these
    fractions exactly and rounds once (int_customer_months_spined);
    monthly_amount is the item's own amount rounded half-up to cents, for
    reading only: summing it would round per item.

    Live window: the item counts on a day D when started_on <= D < stopped_on,
    i.e. its subscription started (start_date) on or before D and neither ended
    nor was canceled on or before D, whatever its status. Timestamps are naive
    UTC, so their dates are UTC dates. -#}
with subscriptions as (
    select
        subscription_id,
        customer_id,
        subscription_status,
        cast(started_at as date) as started_on,
        {#- least() skips nulls: the earlier of the cancellation and the end. -#}
        cast(least(canceled_at, ended_at) as date) as stopped_on
    from {{ ref('stg_billing__subscriptions') }}
),

items as (
    select
        items.subscription_item_id,
        items.subscription_id,
        subscriptions.customer_id,
        subscriptions.subscription_status,
        subscriptions.started_on,
        subscriptions.stopped_on,
        items.price_id,
        items.price_currency,
        items.recurring_interval,
        items.recurring_interval_count,
        items.unit_amount,
        items.quantity,
        cast(items.unit_amount * 100 as hugeint) * items.quantity * case items.recurring_interval
            when 'month' then 12
            when 'year' then 1
            when 'week' then 52
            when 'day' then 365
        end as monthly_cents_numerator,
        cast(12 * items.recurring_interval_count as bigint) as monthly_cents_denominator
    from {{ ref('stg_billing__subscription_items') }} as items
    inner join subscriptions on items.subscription_id = subscriptions.subscription_id
)

select
    *,
    {{ cents_half_up('monthly_cents_numerator', 'monthly_cents_denominator') }} as monthly_amount
from items
