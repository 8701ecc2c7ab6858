{#- Σ lines = statement, per person, plan and period: commission, SPIFF and
    clawback lines add up to the statement's figures, and all lines (draw
    included) to its payout. Returns the statements that disagree. -#}
with line_sums as (
    select
        employee_number, plan_id, period_start,
        coalesce(sum(amount) filter (where line_type = 'commission'), 0) as commission,
        coalesce(sum(amount) filter (where line_type = 'spiff'), 0) as spiffs,
        coalesce(sum(amount) filter (where line_type = 'clawback'), 0) as clawbacks,
        coalesce(sum(amount), 0) as payout
    from {{ ref('fct_commission_lines') }}
    where line_type <> 'uncredited'
    group by employee_number, plan_id, period_start
)

select statements.*, line_sums.commission as line_commission, line_sums.payout as line_payout
from {{ ref('fct_commission_statements') }} as statements
left join line_sums using (employee_number, plan_id, period_start)
where coalesce(line_sums.commission, 0) <> statements.commission
    or coalesce(line_sums.spiffs, 0) <> statements.spiffs
    or coalesce(line_sums.clawbacks, 0) <> statements.clawbacks
    or coalesce(line_sums.payout, 0) <> statements.payout
    or statements.earned <> statements.commission + statements.spiffs + statements.clawbacks
