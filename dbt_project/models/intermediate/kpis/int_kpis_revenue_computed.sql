{#- The revenue KPIs of kpi_monthly (marts.md), long: one row per KPI month ×
    scope × KPI, value DOUBLE (ratios as fractions, money in dollars, nps on
    −100…100), null where the KPI's denominator is 0. Definitions and scopes are
    in the measured models and _kpis_revenue_people__models.yml:
      company, team, rep: revenue, revenue_growth, revenue_per_account
                          (int_kpis_revenue_measured); mrr, new_mrr,
                          expansion_mrr, contraction_mrr, churned_mrr,
                          reactivation_mrr, logo_churn_rate,
                          net_revenue_retention, gross_revenue_retention, clv
                          (int_kpis_mrr_measured); nps (int_kpis_nps_measured)
      company only:       cac, profit_margin (int_kpis_cost_of_sales_measured):
                          pay is never shown per rep, nor per team.
    A KPI whose export was never delivered (no billing folder at all, no
    surveys) is null, not 0: nothing says the revenue was 0. -#}
{%- set measured = [
    ('int_kpis_revenue_measured', 'billing', ['revenue', 'revenue_growth', 'revenue_per_account']),
    ('int_kpis_mrr_measured', 'billing', [
        'mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr', 'reactivation_mrr',
        'logo_churn_rate', 'net_revenue_retention', 'gross_revenue_retention', 'clv',
    ]),
    ('int_kpis_nps_measured', 'surveys', ['nps']),
    ('int_kpis_cost_of_sales_measured', 'billing', ['cac', 'profit_margin']),
] %}

with delivered_sources as (
    select distinct source_name from {{ ref('stg_lake__deliveries') }}
)

{% for model_name, source_name, kpis in measured %}
{%- set outer_loop = loop %}
{%- for kpi in kpis %}
select
    cast(month as date) as month,
    cast(scope_type as varchar) as scope_type,
    cast(scope_id as varchar) as scope_id,
    cast('{{ kpi }}' as varchar) as kpi,
    case
        when exists (
            select 1 from delivered_sources
            where delivered_sources.source_name = '{{ source_name }}'
        )
            then cast({{ kpi }} as double)
    end as value
from {{ ref(model_name) }}
{% if not (outer_loop.last and loop.last) %}union all{% endif %}
{%- endfor %}
{%- endfor %}
