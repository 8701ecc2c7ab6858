{#- MRR per Stripe customer per month (marts.md, fct_mrr_monthly): the items of
    the subscriptions live on the month's last day, normalised to a month
    (int_subscription_items_normalized), summed exactly and rounded half-up to
    cents once per customer-month. One row per customer per month from the
    customer's first month with MRR > 0 through the as-of month, months at 0
    included (fct_mrr_monthly keeps only the first of them, as the churn).

    The exact sum: each live item is a fraction n / d of cents with
    d = 12 x interval_count; over a customer-month, with L the least common
    multiple of the d's, MRR = Σ n x (L / d) / L cents, all in integers. -#}
with items as (
    select * from {{ ref('int_subscription_items_normalized') }}
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

months as (
    select
        month_start,
        last_day(month_start) as month_end
    from (
        {{ month_spine('(select min(started_on) from items)', '(select as_of_date from as_of)') }}
    ) as spine
),

live_items as (
    select
        items.customer_id,
        months.month_start,
        items.monthly_cents_numerator,
        items.monthly_cents_denominator
    from months
    inner join items
        on items.started_on <= months.month_end
        and (items.stopped_on is null or items.stopped_on > months.month_end)
),

{#- Summed per denominator first: a customer-month's items mostly share one
    (12 for monthly and yearly prices), so the common multiple is then taken
    over a few rows. -#}
denominator_sums as (
    select
        customer_id,
        month_start,
        monthly_cents_denominator as denominator,
        sum(monthly_cents_numerator) as numerator
    from live_items
    group by customer_id, month_start, monthly_cents_denominator
),

common_denominators as (
    select
        customer_id,
        month_start,
        list_reduce(list(denominator), lambda a, b: lcm(a, b)) as denominator
    from denominator_sums
    group by customer_id, month_start
),

exact_sums as (
    select
        denominator_sums.customer_id,
        denominator_sums.month_start,
        sum(denominator_sums.numerator
            * (common_denominators.denominator // denominator_sums.denominator)) as numerator,
        any_value(common_denominators.denominator) as denominator
    from denominator_sums
    inner join common_denominators
        on denominator_sums.customer_id = common_denominators.customer_id
        and denominator_sums.month_start = common_denominators.month_start
    group by denominator_sums.customer_id, denominator_sums.month_start
),

customer_months as (
    select
        customer_id,
        month_start,
        {{ cents_half_up('numerator', 'denominator') }} as mrr
    from exact_sums
),

first_months as (
    select customer_id, min(month_start) as first_month
    from customer_months
    where mrr > 0
    group by customer_id
)

select
    first_months.customer_id,
    months.month_start,
    months.month_end,
    coalesce(customer_months.mrr, cast(0 as decimal(18, 2))) as mrr
from first_months
inner join months on months.month_start >= first_months.first_month
left join customer_months
    on customer_months.customer_id = first_months.customer_id
    and customer_months.month_start = months.month_start

-- The linter's DuckDB dialect does not parse the `lambda a, b:` syntax of DuckDB 1.3+:
-- sqlfluff:ignore:parsing
