{#- Who each won deal credits: one row per (opportunity, split owner). A credit
    falls on a plan when its person holds an assignment on the CloseDate;
    otherwise it stays here as uncredited (commission_rules.md 5). -#}
with won as (
    select * from {{ ref('int_opportunities_won') }}
),

splits as (
    select opportunity_id, split_owner_user_id, split_percent
    from {{ ref('stg_crm__opportunity_splits') }}
    where not is_deleted
),

credit_shares as (
    select
        won.opportunity_id,
        won.opportunity_type,
        won.close_date,
        coalesce(won.amount, 0) as opportunity_amount,
        coalesce(splits.split_owner_user_id, won.owner_user_id) as credited_user_id,
        cast(coalesce(splits.split_percent, 100) as decimal(9, 4)) as split_percent
    from won
    left join splits on splits.opportunity_id = won.opportunity_id
),

people as (
    select credit_shares.*, users.employee_number
    from credit_shares
    left join {{ ref('stg_crm__users') }} as users on users.user_id = credit_shares.credited_user_id
)

select
    people.opportunity_id,
    people.opportunity_type,
    people.close_date,
    people.opportunity_amount,
    people.credited_user_id,
    people.employee_number,
    people.split_percent,
    cast(round(people.opportunity_amount * people.split_percent * cast(0.01 as decimal(3, 2)), 2) as decimal(18, 2))
        as credited_amount,
    assignments.plan_id,
    assignments.plan_period,
    case
        when assignments.plan_id is not null
                then {{ plan_period_start('assignments.plan_period', 'people.close_date') }}
        else cast(date_trunc('month', people.close_date) as date)
    end as period_start
from people
left join {{ ref('int_assignments_resolved') }} as assignments
    on assignments.employee_number = people.employee_number
    and people.close_date between assignments.start_date and coalesce(assignments.end_date, date '9999-12-31')
