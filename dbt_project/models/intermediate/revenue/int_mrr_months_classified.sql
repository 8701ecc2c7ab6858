{#- MRR per Stripe customer per month with its movement (marts.md): one row per
    customer per month with MRR > 0, plus one churn row for the month MRR falls
    to 0 (none while it stays 0), from the customer's first month with MRR
    through the as-of month. The identity Σ mrr at M = Σ mrr at M-1 +
    Σ mrr_change of M's rows holds by construction (tests/assert_mrr_movements_bridge_months.sql). -#}
with customer_months as (
    select
        customer_id,
        month_start,
        mrr,
        {#- The spine has every month from the first with MRR, zeros included: M-1 is the previous row. -#}
        coalesce(lag(mrr) over by_month, 0) as previous_mrr,
        row_number() over by_month as month_number
    from {{ ref('int_customer_months_spined') }}
    window by_month as (partition by customer_id order by month_start)
),

customers as (
    select customer_id, salesforce_account_id
    from {{ ref('stg_billing__customers') }}
)

select
    customer_months.customer_id,
    customers.salesforce_account_id as account_id,
    customer_months.month_start as month,
    cast(customer_months.mrr as decimal(18, 2)) as mrr,
    cast(customer_months.previous_mrr as decimal(18, 2)) as previous_mrr,
    cast(customer_months.mrr - customer_months.previous_mrr as decimal(18, 2)) as mrr_change,
    case
        when customer_months.month_number = 1 then 'new'
        when customer_months.previous_mrr = 0 then 'reactivation'
        when customer_months.mrr = 0 then 'churn'
        when customer_months.mrr > customer_months.previous_mrr then 'expansion'
        when customer_months.mrr < customer_months.previous_mrr then 'contraction'
        else 'unchanged'
    end as movement
from customer_months
left join customers on customer_months.customer_id = customers.customer_id
where customer_months.mrr > 0 or customer_months.previous_mrr > 0
