{#- One statement per (person, plan, period): quota, credit, earnings, and the
    draw carried across periods of the same person and plan (commissions.md,
    Draws). The recoverable balance depends on the previous period's, so the
    periods are walked in order with a recursive CTE. -#}
with recursive quota_periods as (
    select employee_number, plan_id, period_start, period_end, full_quota, effective_quota
    from {{ ref('int_quotas_ramped') }}
),

lines as (
    select * from {{ ref('int_commission_lines_unioned') }}
),

{#- A clawback can land in a period the assignment no longer covers: it gets a
    statement there (quota 0), so that no money is dropped. -#}
spine as (
    select employee_number, plan_id, period_start from quota_periods
    union
    select employee_number, plan_id, period_start from lines
),

credited as (
    select employee_number, plan_id, period_start, sum(credited_amount) as credited_bookings
    from {{ ref('int_credits_allocated') }}
    where plan_id is not null
    group by employee_number, plan_id, period_start
),

earnings as (
    select
        employee_number, plan_id, period_start,
        sum(amount) filter (where line_type = 'commission') as commission,
        sum(amount) filter (where line_type = 'spiff') as spiffs,
        sum(amount) filter (where line_type = 'clawback') as clawbacks
    from lines
    group by employee_number, plan_id, period_start
),

statements as (
    select
        spine.employee_number,
        spine.plan_id,
        spine.period_start,
        coalesce(
            quota_periods.period_end, {{ plan_period_end('plans.plan_period', 'spine.period_start') }}
        ) as period_end,
        coalesce(quota_periods.full_quota, 0) as full_quota,
        coalesce(quota_periods.effective_quota, 0) as effective_quota,
        coalesce(credited.credited_bookings, 0) as credited_bookings,
        coalesce(earnings.commission, 0) as commission,
        coalesce(earnings.spiffs, 0) as spiffs,
        coalesce(earnings.clawbacks, 0) as clawbacks,
        coalesce(earnings.commission, 0) + coalesce(earnings.spiffs, 0) + coalesce(earnings.clawbacks, 0) as earned,
        quota_periods.period_start is not null as is_assigned,
        {#- A statement that exists only for a clawback after the assignment ended has no draw. -#}
        case when quota_periods.period_start is not null then plans.draw_amount end as draw_amount,
        plans.draw_recoverable,
        row_number() over (
            partition by spine.employee_number, spine.plan_id order by spine.period_start
        ) as period_number
    from spine
    inner join {{ ref('stg_planning__comp_plans') }} as plans on plans.plan_id = spine.plan_id
    left join quota_periods
        on quota_periods.employee_number = spine.employee_number
        and quota_periods.plan_id = spine.plan_id
        and quota_periods.period_start = spine.period_start
    left join credited
        on credited.employee_number = spine.employee_number
        and credited.plan_id = spine.plan_id
        and credited.period_start = spine.period_start
    left join earnings
        on earnings.employee_number = spine.employee_number
        and earnings.plan_id = spine.plan_id
        and earnings.period_start = spine.period_start
),

drawn as (
    select
        statements.*,
        {{ draw_outcome('statements', '0') }}
    from statements
    where statements.period_number = 1

    union all

    select
        statements.*,
        {{ draw_outcome('statements', 'drawn.draw_balance') }}
    from statements
    inner join drawn
        on drawn.employee_number = statements.employee_number
        and drawn.plan_id = statements.plan_id
        and statements.period_number = drawn.period_number + 1
)

select
    * exclude (period_number),
    cast(case when effective_quota <> 0 then round(credited_bookings / effective_quota, 6) end as decimal(18, 6))
        as attainment
from drawn
