{#- A won deal whose Stripe subscription is canceled within the plan's
    clawback_days of its CloseDate has every commission and SPIFF line reversed,
    in the plan period holding the cancellation (commission_rules.md 8). -#}
with cancellations as (
    select
        salesforce_opportunity_id as opportunity_id,
        min(cast(canceled_at as date)) as canceled_date
    from {{ ref('stg_billing__subscriptions') }}
    where canceled_at is not null and salesforce_opportunity_id is not null
    group by salesforce_opportunity_id
),

earned_lines as (
    select employee_number, plan_id, opportunity_id, close_date, credited_amount, band_from, band_to, rate, amount
    from {{ ref('int_commission_pieces_banded') }}
    union all
    select employee_number, plan_id, opportunity_id, close_date, credited_amount, band_from, band_to, rate, amount
    from {{ ref('int_spiffs_awarded') }}
)

select
    earned_lines.employee_number,
    earned_lines.plan_id,
    {{ plan_period_start('plans.plan_period', 'cancellations.canceled_date') }} as period_start,
    'clawback' as line_type,
    earned_lines.opportunity_id,
    earned_lines.close_date,
    -earned_lines.credited_amount as credited_amount,
    earned_lines.band_from,
    earned_lines.band_to,
    earned_lines.rate,
    -earned_lines.amount as amount
from earned_lines
inner join cancellations on cancellations.opportunity_id = earned_lines.opportunity_id
inner join {{ ref('stg_planning__comp_plans') }} as plans on plans.plan_id = earned_lines.plan_id
cross join {{ ref('int_run_as_of') }} as as_of
where plans.clawback_days is not null
    and cancellations.canceled_date
            between earned_lines.close_date and earned_lines.close_date + cast(plans.clawback_days as integer)
    and cancellations.canceled_date <= as_of.as_of_date
