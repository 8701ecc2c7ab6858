{#- The payout identity of commissions.md (Draws), period by period (no draw on
    a statement that only holds a clawback after the assignment ended): each
    statement's payout, draw_paid and draw_balance follow from its earnings and
    the balance carried from the previous period of the same person and plan. -#}
with statements as (
    select
        statements.*,
        case when statements.is_assigned then plans.draw_amount end as draw_amount,
        plans.draw_recoverable,
        coalesce(lag(statements.draw_balance) over (
            partition by statements.employee_number, statements.plan_id order by statements.period_start
        ), 0) as carried
    from {{ ref('fct_commission_statements') }} as statements
    inner join {{ ref('stg_planning__comp_plans') }} as plans using (plan_id)
)

select *
from statements
where case
    when draw_amount is null then not (payout = earned and draw_paid = 0 and draw_balance = carried)
    when not draw_recoverable then not (
        draw_balance = 0
        and ((earned < draw_amount and payout = draw_amount and draw_paid = draw_amount)
             or (earned >= draw_amount and payout = earned and draw_paid = 0))
    )
    else not (
        (earned - carried >= draw_amount and payout = earned - carried and draw_paid = 0 and draw_balance = 0)
        or (earned - carried < draw_amount and payout = draw_amount and draw_paid = draw_amount
            and draw_balance = draw_amount - (earned - carried))
    )
end
