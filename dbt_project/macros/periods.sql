{#- Calendar helpers driven by the fiscal_year_start_month setting. A fiscal year
    is named by the calendar year in which it ends (commission_rules.md). -#}

{#- Months into the fiscal year of the month holding date_expr (0-11). -#}
{% macro fiscal_month_index(date_expr) -%}
    ((month({{ date_expr }}) - {{ var('fiscal_year_start_month') | int }} + 12) % 12)
{%- endmacro %}

{% macro fiscal_quarter_start(date_expr) -%}
    cast(date_trunc('month', {{ date_expr }}) - to_months({{ fiscal_month_index(date_expr) }} % 3) as date)
{%- endmacro %}

{#- First day of the plan period ('month' or 'quarter') holding date_expr. -#}
{% macro plan_period_start(period_kind, date_expr) -%}
    case {{ period_kind }}
        when 'month' then cast(date_trunc('month', {{ date_expr }}) as date)
        else {{ fiscal_quarter_start(date_expr) }}
    end
{%- endmacro %}

{% macro plan_period_end(period_kind, start_expr) -%}
    cast({{ start_expr }} + to_months(case {{ period_kind }} when 'month' then 1 else 3 end) - interval 1 day as date)
{%- endmacro %}

{#- First month of a quota period label: 'FY2026-Q1' (fiscal quarter) or '2026-03'. -#}
{% macro quota_period_start(label) -%}
    case
        when {{ label }} like 'FY%' then cast(
            make_date(
                cast(substr({{ label }}, 3, 4) as integer)
                    - case when {{ var('fiscal_year_start_month') | int }} = 1 then 0 else 1 end,
                {{ var('fiscal_year_start_month') | int }},
                1
            ) + to_months(3 * (cast(substr({{ label }}, 9, 1) as integer) - 1)) as date)
        else cast(strptime({{ label }}, '%Y-%m') as date)
    end
{%- endmacro %}

{#- One row per month (its first day) from the month of start_expr to that of end_expr. -#}
{% macro month_spine(start_expr, end_expr) -%}
    select cast(month_start as date) as month_start
    from unnest(generate_series(
        cast(date_trunc('month', {{ start_expr }}) as timestamp),
        cast(date_trunc('month', {{ end_expr }}) as timestamp),
        interval 1 month
    )) as spine(month_start)
{%- endmacro %}

{#- One row per day from start_expr to end_expr (inclusive). -#}
{% macro day_spine(start_expr, end_expr) -%}
    select cast(day as date) as day
    from unnest(generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval 1 day)) as spine(day)
{%- endmacro %}
