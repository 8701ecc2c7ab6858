{#- KPI scopes (marts.md, kpi_monthly): every KPI model sums per-person facts
    over the same scopes, built here once. -#}

{#- The scopes a KPI has rows for: the company (always, even before HR has
    delivered anyone) and the listed scope types. -#}
{% macro kpi_scope_list(scope_types=('team', 'rep')) -%}
    select 'company' as scope_type, cast(null as varchar) as scope_id
    union
    select distinct scope_type, scope_id
    from {{ ref('int_kpi_scopes_rolled_up') }}
    where scope_type in ({% for scope_type in scope_types %}'{{ scope_type }}'{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Each fact row once for the company, and once for every listed scope whose
    people include the fact's person (person_column). -#}
{% macro kpi_facts_scoped(facts, person_column, scope_types=('team', 'rep')) -%}
    select 'company' as scope_type, cast(null as varchar) as scope_id, {{ facts }}.*
    from {{ facts }}

    union all

    select scopes.scope_type, scopes.scope_id, {{ facts }}.*
    from {{ facts }}
    inner join {{ ref('int_kpi_scopes_rolled_up') }} as scopes
        on scopes.employee_number = {{ facts }}.{{ person_column }}
        and scopes.scope_type in ({% for scope_type in scope_types %}'{{ scope_type }}'{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Join condition of scoped facts to the scope × month grid: the company's
    scope_id is null, so it is matched with `is not distinct from`. -#}
{% macro same_scope_and_month(facts, month_expr='months.month') -%}
    {{ facts }}.scope_type = scope_list.scope_type
        and {{ facts }}.scope_id is not distinct from scope_list.scope_id
        and {{ facts }}.month = {{ month_expr }}
{%- endmacro %}
