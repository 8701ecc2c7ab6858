{#- Every KPI of marts.md per month, for the company, each team and each rep, in
    long format. Each family of KPIs is computed in its own intermediate model. -#}
{%- set kpi_models = ['int_kpis_pipeline_computed', 'int_kpis_revenue_computed', 'int_kpis_people_computed'] %}
{%- for kpi_model in kpi_models %}
select
    month,
    scope_type,
    scope_id,
    kpi,
    cast(value as double) as value
from {{ ref(kpi_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
