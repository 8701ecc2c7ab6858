{#- The cost of selling per KPI month, for the company only, wide: the `cac`
    and `profit_margin` KPIs of kpi_monthly and the figures behind them. Pay is
    personal data: it is only ever summed over the whole company here, never
    kept per person, team or rep.

    sales_pay(M): for every HR employee of a sales department
    (var sales_departments) employed in M, the monthly base pay — Pay Per Year:
    pay_rate / 12; Pay Per Hour: pay_rate × 2080 / 12 — × the share of M
    employed (days from hire_date through termination_date, both inclusive,
    within M / days in M). The HR export holds only the current pay rate, so
    every month is paid at it. Variable pay is not base pay: it is the
    commission below.
    commission_earned(M): Σ earned (commission + SPIFFs + clawbacks) of the
    commission statements of plan periods ending in M (fct_commission_statements
    .period_end in M) — a quarterly plan's commission lands in the quarter's
    last month.
    marketing_spend(M): Σ amount of marketing_spend.csv rows for M.
    new_customers(M): Stripe customers whose first month with MRR is M
    (fct_mrr_monthly movement `new`; a reactivation is not new).
    cac = (marketing_spend + sales_pay + commission_earned) / new_customers,
    null when there are no new customers.
    profit_margin = (revenue − sales_pay − commission_earned − marketing_spend)
    / revenue, with the company revenue of int_kpis_revenue_measured; null when
    revenue is 0. -#}

with months as (
    select month, month_end from {{ ref('int_kpi_months_spined') }}
),

sales_people as (
    select
        hire_date,
        termination_date,
        {#- Pay per year; a twelfth of it is the monthly pay. -#}
        case pay_per
            when 'Year' then pay_rate
            when 'Hour' then pay_rate * 2080
        end as yearly_pay
    from {{ ref('stg_hr__employees') }}
    where hire_date is not null
        and department in ({{ sales_departments() }})
),

sales_pay as (
    select
        months.month,
        {#- Summed exactly (decimal pay x whole days) and divided once, by 12 x the days of the month: a sum
            of doubles would differ in its last bit from one build to the next, with the order of the rows. -#}
        cast(sum(
            sales_people.yearly_pay
            * (datediff('day',
                greatest(months.month, sales_people.hire_date),
                least(months.month_end, coalesce(sales_people.termination_date, months.month_end))) + 1)
        ) as double) / (12 * any_value(day(months.month_end))) as sales_pay
    from months
    inner join sales_people
        on sales_people.hire_date <= months.month_end
        and (sales_people.termination_date is null or sales_people.termination_date >= months.month)
    group by months.month
),

commissions as (
    select cast(date_trunc('month', period_end) as date) as month, sum(earned) as commission_earned
    from {{ ref('int_statements_drawn') }}
    group by date_trunc('month', period_end)
),

marketing as (
    select month_start as month, sum(amount) as marketing_spend
    from {{ ref('stg_planning__marketing_spends') }}
    group by month_start
),

new_customers as (
    select month, count(*) as new_customers
    from {{ ref('int_mrr_months_classified') }}
    where movement = 'new'
    group by month
),

revenue as (
    select month, revenue
    from {{ ref('int_kpis_revenue_measured') }}
    where scope_type = 'company'
),

measured as (
    select
        months.month,
        coalesce(revenue.revenue, 0) as revenue,
        coalesce(sales_pay.sales_pay, 0) as sales_pay,
        coalesce(commissions.commission_earned, 0) as commission_earned,
        coalesce(marketing.marketing_spend, 0) as marketing_spend,
        coalesce(new_customers.new_customers, 0) as new_customers
    from months
    left join revenue on revenue.month = months.month
    left join sales_pay on sales_pay.month = months.month
    left join commissions on commissions.month = months.month
    left join marketing on marketing.month = months.month
    left join new_customers on new_customers.month = months.month
)

select
    month,
    'company' as scope_type,
    cast(null as varchar) as scope_id,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(sales_pay as double) as sales_pay,
    cast(commission_earned as decimal(18, 2)) as commission_earned,
    cast(marketing_spend as decimal(18, 2)) as marketing_spend,
    cast(new_customers as integer) as new_customers,
    (cast(marketing_spend as double) + sales_pay + cast(commission_earned as double)) / nullif(new_customers, 0) as cac,
    (cast(revenue as double) - sales_pay - cast(commission_earned as double) - cast(marketing_spend as double))
        / nullif(cast(revenue as double), 0) as profit_margin
from measured
