{#- The raw layer is append-only: every delivery of a record is kept. Staging
    keeps the latest delivery of each id (later delivery, then later line wins).
    Written with a window in a subquery rather than QUALIFY so that the same SQL
    runs on engines without QUALIFY. -#}
{% macro latest_by_id(relation, id_columns) -%}
    select * exclude (_salesops_recency)
    from (
        select
            *,
            row_number() over (
                partition by {{ id_columns | join(', ') }}
                order by _delivery desc, _line_number desc
            ) as _salesops_recency
        from {{ relation }}
    ) as ranked
    where _salesops_recency = 1
{%- endmacro %}

{#- comp_plans.yaml is replaced whole by a later delivery: every table of it is
    read from the latest delivery of the plans table (a later file with no
    spiffs must not bring back an earlier file's spiffs). -#}
{% macro from_latest_comp_plan_file(table_name) -%}
    select * from {{ source('planning', table_name) }}
    where _delivery = (select max(_delivery) from {{ source('planning', 'comp_plan') }})
{%- endmacro %}
