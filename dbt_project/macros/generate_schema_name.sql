{#- Schemas are named as configured (staging, intermediate, marts), not prefixed
    with the target schema: readers query marts.<table>. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
