{#- The lines behind the statements: every (deal, band) piece, SPIFF, clawback
    and draw, plus uncredited credit. Σ lines of a statement (all but
    `uncredited`) = its payout. -#}
with earning_lines as (
    select
        employee_number, plan_id, period_start, line_type, opportunity_id, close_date,
        credited_amount, band_from, band_to, rate, amount
    from {{ ref('int_commission_lines_unioned') }}
),

draw_lines as (
    select
        employee_number, plan_id, period_start, 'draw' as line_type,
        cast(null as varchar) as opportunity_id, cast(null as date) as close_date,
        cast(null as decimal(18, 2)) as credited_amount,
        cast(null as decimal(18, 6)) as band_from, cast(null as decimal(18, 6)) as band_to,
        cast(null as decimal(18, 6)) as rate,
        payout - earned as amount
    from {{ ref('int_statements_drawn') }}
    where payout <> earned
),

uncredited_lines as (
    select
        employee_number, cast(null as varchar) as plan_id, period_start, 'uncredited' as line_type,
        opportunity_id, close_date, credited_amount,
        cast(null as decimal(18, 6)) as band_from, cast(null as decimal(18, 6)) as band_to,
        cast(null as decimal(18, 6)) as rate,
        cast(0 as decimal(18, 2)) as amount
    from {{ ref('int_credits_allocated') }}
    where plan_id is null
),

all_lines as (
    select * from earning_lines
    union all
    select * from draw_lines
    union all
    select * from uncredited_lines
)

select
    employee_number,
    plan_id,
    period_start,
    line_type,
    opportunity_id,
    close_date,
    cast(credited_amount as decimal(18, 2)) as credited_amount,
    cast(band_from as decimal(18, 6)) as band_from,
    cast(band_to as decimal(18, 6)) as band_to,
    cast(rate as decimal(18, 6)) as rate,
    cast(amount as decimal(18, 2)) as amount
from all_lines
