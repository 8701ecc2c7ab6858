{#- The HR departments that count as sales (var sales_departments), as a SQL list of string literals. -#}
{% macro sales_departments() -%}
    {%- for department in var('sales_departments') -%}
        {{ dbt.string_literal(department) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
