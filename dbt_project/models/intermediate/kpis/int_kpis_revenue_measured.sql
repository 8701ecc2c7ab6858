{#- Cash revenue per KPI month and scope (company, team, rep), wide: the
    `revenue`, `revenue_growth` and `revenue_per_account` KPIs of kpi_monthly
    and the figures behind them.

    revenue(M) = Σ amount_paid of invoices paid in M (status_transitions.paid_at,
    UTC) − Σ amount of succeeded refunds created in M, whatever month the
    refunded invoice was paid in. A customer's revenue counts for the company,
    and for the rep who owns its Salesforce account now (int_accounts_owned)
    and every team above that rep; money of a customer without an owner (or a
    refund without a known invoice) counts for the company only.
    revenue_growth = revenue(M) / revenue(M−1) − 1 (null when revenue(M−1) = 0).
    paying_customers = customers with an invoice paid in M with amount_paid > 0;
    revenue_per_account = revenue / paying_customers (null when there are none). -#}

with months as (
    select month from {{ ref('int_kpi_months_spined') }}
),

customer_owners as (
    select customers.customer_id, owners.owner_employee_number
    from {{ ref('stg_billing__customers') }} as customers
    inner join {{ ref('int_accounts_owned') }} as owners on owners.account_id = customers.salesforce_account_id
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

{#- One row per money movement: a paid invoice (+) or a succeeded refund (−). -#}
movements as (
    select
        customer_id,
        cast(date_trunc('month', paid_at) as date) as month,
        amount_paid as amount,
        case when amount_paid > 0 then customer_id end as paying_customer_id
    from invoices
    where paid_at is not null

    union all

    select
        invoices.customer_id,
        cast(date_trunc('month', refunds.created_at) as date),
        -refunds.amount,
        cast(null as varchar)
    from {{ ref('stg_billing__refunds') }} as refunds
    left join invoices on invoices.invoice_id = refunds.invoice_id
    where refunds.refund_status = 'succeeded'
),

owned_movements as (
    select movements.*, customer_owners.owner_employee_number
    from movements
    left join customer_owners on customer_owners.customer_id = movements.customer_id
),

{#- Per owner and month first, so that the scopes sum owner-months, not
    movements. A customer has one owner (or none), so the paying customers of a
    scope are the sum of its owners' distinct paying customers. -#}
owner_months as (
    select
        owner_employee_number,
        month,
        sum(amount) as revenue,
        count(distinct paying_customer_id) as paying_customers
    from owned_movements
    group by owner_employee_number, month
),

{#- Each owner-month in its month, and again in the next month as M−1's
    revenue (M−1 may precede the KPI months). -#}
facts as (
    select owner_employee_number, month, revenue, paying_customers
    from owner_months

    union all by name

    select owner_employee_number, cast(month + to_months(1) as date) as month, revenue as previous_revenue
    from owner_months
),

{{ kpi_rollup('measured', 'facts', 'owner_employee_number', summed_measures([
    'revenue', 'previous_revenue', 'paying_customers',
])) }}

select
    month,
    scope_type,
    scope_id,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(previous_revenue as decimal(18, 2)) as previous_revenue,
    cast(paying_customers as integer) as paying_customers,
    cast(revenue as double) / nullif(cast(previous_revenue as double), 0) - 1 as revenue_growth,
    cast(revenue as double) / nullif(paying_customers, 0) as revenue_per_account
from measured
