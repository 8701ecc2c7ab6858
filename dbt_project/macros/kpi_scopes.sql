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

{#- The scope x month roll-up every KPI model ends with, as three CTEs to place
    in the model's `with` list (which must already hold `months`, one row per
    KPI month): `scope_list`, `scoped` (the facts once per scope of their
    person) and `name`, one row per scope x KPI month with the `measures`
    (SQL aggregates over `scoped`, each with its alias). A scope x month with no
    fact gets a row too: its sums are null unless the measure coalesces them. -#}
{% macro kpi_rollup(name, facts, person_column, measures, scope_types=('team', 'rep')) -%}
scope_list as (
    {{ kpi_scope_list(scope_types) }}
),

scoped as (
    {{ kpi_facts_scoped(facts, person_column, scope_types) }}
),

{{ name }} as (
    select
        scope_list.scope_type,
        scope_list.scope_id,
        months.month,
        {{ measures | join(',\n        ') }}
    from scope_list
    cross join months
    left join scoped
        on {{ same_scope_and_month('scoped') }}
    group by scope_list.scope_type, scope_list.scope_id, months.month
)
{%- endmacro %}

{#- `coalesce(sum(scoped.<fact>), 0) as <fact>` for each fact: the measures of a roll-up that only adds up. -#}
{% macro summed_measures(facts) -%}
    {%- set measures = [] -%}
    {%- for fact in facts -%}
        {%- do measures.append('coalesce(sum(scoped.' ~ fact ~ '), 0) as ' ~ fact) -%}
    {%- endfor -%}
    {{ return(measures) }}
{%- endmacro %}
