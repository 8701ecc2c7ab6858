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

closing_states as (
    select
        windows.quarter_start, windows.quarter_end, windows.month_start, windows.closing_date,
        states.opportunity_id, states.owner_employee_number, states.created_date,
        states.is_closed, states.is_won, states.close_date,
        states.deleted_date is not null and states.deleted_date <= windows.closing_date as is_removed,
        coalesce(states.amount, 0) as amount
    from windows
    inner join states
        on windows.closing_date between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
),

closing as (
    select *
    from closing_states
    where not is_closed and not is_removed and close_date between quarter_start and quarter_end
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
    left join closing_states as ended
        on ended.quarter_start = opening.quarter_start
        and ended.month_start = opening.month_start
        and ended.opportunity_id = opening.opportunity_id
)

select * from movements
