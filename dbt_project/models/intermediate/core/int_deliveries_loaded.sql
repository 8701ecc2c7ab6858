{#- Every delivery landed in the raw lake: one row per raw input × delivery,
    with its row count and when it landed. The run's as-of date and the
    reports' footer are taken from here. -#}
{%- set raw_inputs = [
    ('crm', 'user'),
    ('crm', 'user_role'),
    ('crm', 'account'),
    ('crm', 'lead'),
    ('crm', 'opportunity'),
    ('crm', 'opportunity_history'),
    ('crm', 'opportunity_split'),
    ('crm', 'task'),
    ('billing', 'customer'),
    ('billing', 'subscription'),
    ('billing', 'subscription_item'),
    ('billing', 'invoice'),
    ('billing', 'refund'),
    ('hr', 'employee'),
    ('hr', 'job_history'),
    ('hr', 'candidate'),
    ('planning', 'quota'),
    ('planning', 'territory'),
    ('planning', 'account_territory'),
    ('planning', 'marketing_spend'),
    ('surveys', 'nps_response')
] %}

{% for source_name, table_name in raw_inputs -%}
select
    cast({{ dbt.string_literal(source_name) }} as varchar) as source_name,
    cast({{ dbt.string_literal(table_name) }} as varchar) as table_name,
    _delivery as delivery_id,
    count(*) as row_count,
    min(_loaded_at) as loaded_at
from {{ source(source_name, table_name) }}
group by _delivery
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
