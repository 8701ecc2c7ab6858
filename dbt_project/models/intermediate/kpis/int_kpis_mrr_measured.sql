{#- MRR KPIs per KPI month and scope (company, team, rep), wide, from
    fct_mrr_monthly. A customer counts for the company, and for the rep who owns
    its Salesforce account now (int_accounts_owned) and every team above that
    rep.

    mrr = Σ mrr at M. Movements, all ≥ 0, so that for every scope
        mrr(M) = mrr(M−1) + new + expansion − contraction − churned + reactivation:
      new_mrr          Σ mrr of `new` rows (the customer's first month with MRR)
      expansion_mrr    Σ mrr_change of `expansion` rows
      contraction_mrr  Σ −mrr_change of `contraction` rows
      churned_mrr      Σ previous_mrr of `churn` rows
      reactivation_mrr Σ mrr of `reactivation` rows (back above 0 after a churn;
                       marts.md has no KPI for it, so it is one of its own)
    logo_churn_rate = customers churned in M / customers with MRR > 0 at M−1.
    net_revenue_retention = Σ MRR at M of the customers with MRR > 0 at M−12 /
    Σ their MRR at M−12; gross_revenue_retention the same with each customer's
    MRR at M capped at its MRR at M−12 (a churned customer counts 0).
    clv = (mrr / customers with MRR > 0 at M) × var('gross_margin') /
    trailing logo churn rate, where the trailing rate is a monthly rate pooled
    over the 12 months M−11..M: Σ customers churned in those months /
    Σ customers with MRR > 0 at the end of each month before them (M−12..M−1).
    Ratios are null when their denominator is 0. #}

{%- set summed = [
    'mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr', 'reactivation_mrr', 'customers',
    'churned_customers', 'previous_customers', 'trailing_churned_customers', 'trailing_customers_at_risk',
    'cohort_mrr_then', 'cohort_mrr_now', 'cohort_mrr_now_capped',
] %}

with months as (
    select month from {{ ref('int_kpi_months_spined') }}
),

mrr_rows as (
    select
        mrr_monthly.customer_id,
        mrr_monthly.month,
        mrr_monthly.mrr,
        mrr_monthly.previous_mrr,
        mrr_monthly.mrr_change,
        mrr_monthly.movement,
        owners.owner_employee_number
    from {{ ref('int_mrr_months_classified') }} as mrr_monthly
    left join {{ ref('int_accounts_owned') }} as owners on owners.account_id = mrr_monthly.account_id
),

{#- The month's own figures per owner, summed over their customers first: every
    part below then shifts or spreads owner-months, not customer rows. #}
owner_months as (
    select
        owner_employee_number,
        month,
        sum(mrr) as mrr,
        sum(case when movement = 'new' then mrr else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then -mrr_change else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then previous_mrr else 0 end) as churned_mrr,
        sum(case when movement = 'reactivation' then mrr else 0 end) as reactivation_mrr,
        count(*) filter (where mrr > 0) as customers,
        count(*) filter (where movement = 'churn') as churned_customers
    from mrr_rows
    group by owner_employee_number, month
),

{#- Facts per owner, dated to the KPI month they count in; each part names
    only the facts it carries (the others are null there, and sum to 0). #}
facts as (
    {# The month itself. #}
    select * from owner_months

    union all by name

    {# A customer with MRR at the end of m is at risk of churning in m + 1. #}
    select owner_employee_number, cast(month + to_months(1) as date) as month, customers as previous_customers
    from owner_months

    union all by name

    {# Trailing 12 months: a churn in m counts for m .. m + 11; a customer at
        risk in m + 1 (MRR at the end of m) for m + 1 .. m + 12. #}
    select
        owner_months.owner_employee_number,
        cast(owner_months.month + to_months(offsets.month_offset) as date) as month,
        owner_months.churned_customers as trailing_churned_customers
    from owner_months
    cross join range(12) as offsets (month_offset)

    union all by name

    select
        owner_months.owner_employee_number,
        cast(owner_months.month + to_months(offsets.month_offset + 1) as date) as month,
        owner_months.customers as trailing_customers_at_risk
    from owner_months
    cross join range(12) as offsets (month_offset)

    union all by name

    {# Retention: the customers with MRR at M−12 and their MRR at M (0 when
        they have no row at M: churned earlier and not back). #}
    select
        then_rows.owner_employee_number,
        cast(then_rows.month + to_months(12) as date) as month,
        sum(then_rows.mrr) as cohort_mrr_then,
        sum(coalesce(now_rows.mrr, 0)) as cohort_mrr_now,
        sum(least(coalesce(now_rows.mrr, 0), then_rows.mrr)) as cohort_mrr_now_capped
    from mrr_rows as then_rows
    left join mrr_rows as now_rows
        on now_rows.customer_id = then_rows.customer_id
        and now_rows.month = cast(then_rows.month + to_months(12) as date)
    where then_rows.mrr > 0
    group by then_rows.owner_employee_number, then_rows.month
),

{{ kpi_rollup('measured', 'facts', 'owner_employee_number', summed_measures(summed)) }},

rated as (
    select
        *,
        cast(churned_customers as double) / nullif(previous_customers, 0) as logo_churn_rate,
        cast(trailing_churned_customers as double) / nullif(trailing_customers_at_risk, 0)
            as trailing_logo_churn_rate
    from measured
)

select
    month,
    scope_type,
    scope_id,
    cast(mrr as decimal(18, 2)) as mrr,
    cast(new_mrr as decimal(18, 2)) as new_mrr,
    cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
    cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
    cast(churned_mrr as decimal(18, 2)) as churned_mrr,
    cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
    cast(customers as integer) as customers,
    cast(churned_customers as integer) as churned_customers,
    cast(previous_customers as integer) as previous_customers,
    logo_churn_rate,
    cast(cohort_mrr_then as decimal(18, 2)) as cohort_mrr_then,
    cast(cohort_mrr_now as decimal(18, 2)) as cohort_mrr_now,
    cast(cohort_mrr_now_capped as decimal(18, 2)) as cohort_mrr_now_capped,
    cast(cohort_mrr_now as double) / nullif(cast(cohort_mrr_then as double), 0) as net_revenue_retention,
    cast(cohort_mrr_now_capped as double) / nullif(cast(cohort_mrr_then as double), 0) as gross_revenue_retention,
    cast(trailing_churned_customers as integer) as trailing_churned_customers,
    cast(trailing_customers_at_risk as integer) as trailing_customers_at_risk,
    trailing_logo_churn_rate,
    cast(mrr as double) / nullif(customers, 0) * cast({{ var('gross_margin') }} as double)
        / nullif(trailing_logo_churn_rate, 0) as clv
from rated
