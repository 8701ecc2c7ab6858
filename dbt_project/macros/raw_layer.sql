{#- The raw layer is append-only: every delivery of a record is kept. Staging
    keeps the latest delivery of each id (later delivery, then later line wins).
    Written with a window in a subquery rather than QUALIFY so that the same SQL
    runs on engines without QUALIFY.

    An incremental staging model (delete+insert on its id, with the delivery of
    each row as delivery_id) reads only the deliveries after the latest it has
    applied: a later delivery of an id replaces its row, so the table ends as a
    full rebuild would. Deliveries are immutable and land in order
    (ingestion/ingest.py check_delivery_order), which is what makes this exact. -#}
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
        {%- if is_incremental() %}
        where _delivery > (select coalesce(max(delivery_id), '') from {{ this }})
        {%- endif %}
    ) as ranked
    where _salesops_recency = 1
{%- endmacro %}

{#- The config of an incremental staging model (see latest_by_id). -#}
{% macro incremental_by_delivery(unique_key) -%}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{#- comp_plans.yaml is replaced whole by a later delivery: every table of it is
    read from the latest delivery of the plans table (a later file with no
    spiffs must not bring back an earlier file's spiffs). -#}
{% macro from_latest_comp_plan_file(table_name) -%}
    select * from {{ source('planning', table_name) }}
    where _delivery = (select max(_delivery) from {{ source('planning', 'comp_plan') }})
{%- endmacro %}
