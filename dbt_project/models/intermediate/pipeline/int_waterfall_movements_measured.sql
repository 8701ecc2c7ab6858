{#- Each deal's movement in the in-quarter waterfall, per target quarter and
    month, with its (current) owner. Each deal is compared between the window's
    opening and closing moments: deals that enter count at their closing amount
    (created in the month, else pulled in), deals that leave at their opening
    amount (won, lost, removed, else pushed out), deals that stay add their
    amount change. Summed per month (and owner), the waterfall identity holds
    exactly. -#}
with windows as (
    select * from {{ ref('int_waterfall_windows') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

{#- The state of every deal at a moment: its last change on or before that day. -#}
opening as (
    select
        windows.quarter_start, windows.month_start, states.opportunity_id, states.owner_employee_number,
        coalesce(states.amount, 0) as amount
    from windows
    inner join states on {{ is_open_on('states', 'windows.opening_date') }}
    where states.close_date between windows.quarter_start and windows.quarter_end
),

{#- The deals open at the closing moment that close in the quarter. -#}
closing as (
    select
        windows.quarter_start, windows.month_start, states.opportunity_id, states.owner_employee_number,
        states.created_date, coalesce(states.amount, 0) as amount
    from windows
    inner join states
        on windows.closing_date between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
    where not states.is_closed
        and not (states.deleted_date is not null and states.deleted_date <= windows.closing_date)
        and states.close_date between windows.quarter_start and windows.quarter_end
),

{#- How each deal of the opening stands at the closing moment (for those that left: won, lost, removed or
    pushed out), looked up per deal rather than for every deal at every closing. -#}
ended as (
    select
        opening.quarter_start, opening.month_start, opening.opportunity_id,
        states.is_closed, states.is_won,
        states.deleted_date is not null and states.deleted_date <= windows.closing_date as is_removed
    from opening
    inner join windows
        on windows.quarter_start = opening.quarter_start
        and windows.month_start = opening.month_start
    inner join states
        on states.opportunity_id = opening.opportunity_id
        and windows.closing_date between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
),

movements as (
    select
        coalesce(opening.quarter_start, closing.quarter_start) as quarter_start,
        coalesce(opening.month_start, closing.month_start) as month_start,
        coalesce(opening.opportunity_id, closing.opportunity_id) as opportunity_id,
        coalesce(opening.owner_employee_number, closing.owner_employee_number) as owner_employee_number,
        coalesce(opening.amount, 0) as opening_amount,
        coalesce(closing.amount, 0) as closing_amount,
        case when opening.opportunity_id is null and closing.created_date >= closing.month_start
            then closing.amount else 0 end as created_amount,
        case when opening.opportunity_id is null and closing.created_date < closing.month_start
            then closing.amount else 0 end as pulled_in_amount,
        case when closing.opportunity_id is null and ended.is_removed then opening.amount else 0 end as removed_amount,
        case when closing.opportunity_id is null and not ended.is_removed and ended.is_won
            then opening.amount else 0 end as won_amount,
        case when closing.opportunity_id is null and not ended.is_removed and ended.is_closed and not ended.is_won
            then opening.amount else 0 end as lost_amount,
        case when closing.opportunity_id is null and not ended.is_removed and not ended.is_closed
            then opening.amount else 0 end as pushed_out_amount,
        case when opening.opportunity_id is not null and closing.opportunity_id is not null
            then closing.amount - opening.amount else 0 end as amount_change
    from opening
    full outer join closing
        on closing.quarter_start = opening.quarter_start
        and closing.month_start = opening.month_start
        and closing.opportunity_id = opening.opportunity_id
    left join ended
        on ended.quarter_start = opening.quarter_start
        and ended.month_start = opening.month_start
        and ended.opportunity_id = opening.opportunity_id
)

select * from movements
