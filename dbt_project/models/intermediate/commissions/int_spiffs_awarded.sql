{#- A SPIFF pays once per matching won deal, to its owner, under the plan the
    owner holds on the CloseDate (commission_rules.md 7). -#}
select
    users.employee_number,
    assignments.plan_id,
    {{ plan_period_start('assignments.plan_period', 'won.close_date') }} as period_start,
    'spiff' as line_type,
    won.opportunity_id,
    won.close_date,
    cast(null as decimal(18, 2)) as credited_amount,
    cast(null as decimal(18, 6)) as band_from,
    cast(null as decimal(18, 6)) as band_to,
    cast(null as decimal(18, 6)) as rate,
    spiffs.amount,
    spiffs.spiff_id
from {{ ref('int_opportunities_won') }} as won
inner join {{ ref('stg_crm__users') }} as users on users.user_id = won.owner_user_id
inner join {{ ref('int_assignments_resolved') }} as assignments
    on assignments.employee_number = users.employee_number
    and won.close_date between assignments.start_date and coalesce(assignments.end_date, date '9999-12-31')
inner join {{ ref('stg_planning__comp_plan_spiffs') }} as spiffs on spiffs.plan_id = assignments.plan_id
where (spiffs.opportunity_type is null or spiffs.opportunity_type = won.opportunity_type)
    and (spiffs.min_amount is null or coalesce(won.amount, 0) >= spiffs.min_amount)
