{#- Net Promoter Score per KPI month and scope (company, team, rep), wide.
    A response counts in the month of its submitted_at (UTC), for the company,
    and for the rep who owns the responding Salesforce account now
    (int_accounts_owned) and every team above that rep. Responses without a
    score are ignored. promoters: score 9–10, passives 7–8, detractors 0–6;
    nps = 100 × (promoters − detractors) / responses, on −100…100, null in a
    month without responses. -#}

{%- set measures = [
    'count(scoped.score) as responses',
    'count(scoped.score) filter (where scoped.score >= 9) as promoters',
    'count(scoped.score) filter (where scoped.score between 7 and 8) as passives',
    'count(scoped.score) filter (where scoped.score <= 6) as detractors',
] %}

with months as (
    select month from {{ ref('int_kpi_months_spined') }}
),

responses as (
    select
        cast(date_trunc('month', responses.submitted_at) as date) as month,
        responses.score,
        owners.owner_employee_number
    from {{ ref('stg_surveys__nps_responses') }} as responses
    left join {{ ref('int_accounts_owned') }} as owners on owners.account_id = responses.account_id
    where responses.score is not null
),

{{ kpi_rollup('measured', 'responses', 'owner_employee_number', measures) }}

select
    month,
    scope_type,
    scope_id,
    cast(responses as integer) as responses,
    cast(promoters as integer) as promoters,
    cast(passives as integer) as passives,
    cast(detractors as integer) as detractors,
    cast(100 * (promoters - detractors) as double) / nullif(responses, 0) as nps
from measured
