{#- The as-of date of the run (inputs.md): the date of the latest delivery
    named by an ISO date (or by a timestamp that starts with one), over every
    raw input. Statements, snapshots, MRR and KPI months run through it. -#}
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

with deliveries as (
    {% for source_name, table_name in raw_inputs -%}
    select _delivery from {{ source(source_name, table_name) }}
    {% if not loop.last %}union {% endif %}
    {%- endfor %}
)

select
    cast(max(try_strptime(left(_delivery, 10), '%Y-%m-%d')) as date) as as_of_date,
    count(distinct _delivery) as delivery_count
from deliveries
