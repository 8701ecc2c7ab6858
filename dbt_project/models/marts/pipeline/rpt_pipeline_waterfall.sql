{#- The in-quarter waterfall (marts.md): for each fiscal quarter Q, the open
    pipeline closing in Q, month by month from three months before Q starts to
    Q's last month (up to the as-of date). Opening = the end of the day before
    the month's first day, closing = the end of its last day (or the as-of date),
    so a month opens exactly where the previous one closed. Each deal is
    compared between the two moments: deals that enter count at their closing
    amount (created in the month, else pulled in), deals that leave at their
    opening amount (won, lost, removed, else pushed out), deals that stay add
    their amount change. -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

quarters as (
    select distinct {{ fiscal_quarter_start('spine.month_start') }} as quarter_start
    from ({{ month_spine('(select min(valid_from) from states)',
                         '(select as_of_date + interval 3 month from as_of)') }}) as spine
),

quarter_months as (
    select
        quarters.quarter_start,
        cast(quarters.quarter_start + interval 3 month - interval 1 day as date) as quarter_end,
        cast(quarters.quarter_start + to_months(offsets.month_offset) as date) as month_start
    from quarters
    cross join (select unnest(range(-3, 3)) as month_offset) as offsets
),

windows as (
    select
        quarter_months.*,
        cast(quarter_months.month_start - interval 1 day as date) as opening_date,
        least(last_day(quarter_months.month_start), as_of.as_of_date) as closing_date
    from quarter_months
    cross join as_of
    where quarter_months.month_start <= as_of.as_of_date
        and quarter_months.month_start >= (select date_trunc('month', min(valid_from)) from states)
),

{#- The state of every deal at a moment: its last change on or before that day. -#}
opening as (
    select windows.quarter_start, windows.month_start, states.opportunity_id, coalesce(states.amount, 0) as amount
    from windows
    inner join states
        on windows.opening_date between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
    where not states.is_closed
        and (states.deleted_date is null or windows.opening_date < states.deleted_date)
        and states.close_date between windows.quarter_start and windows.quarter_end
),

closing_states as (
    select
        windows.quarter_start, windows.quarter_end, windows.month_start, windows.closing_date,
        states.opportunity_id, states.created_date, states.is_closed, states.is_won, states.close_date,
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

select
    windows.quarter_start as target_quarter_start,
    windows.month_start as month,
    {%- for column in ['opening_amount', 'created_amount', 'pulled_in_amount', 'pushed_out_amount', 'won_amount',
                       'lost_amount', 'removed_amount', 'amount_change', 'closing_amount'] %}
    cast(coalesce(sum(movements.{{ column }}), 0) as decimal(18, 2)) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from windows
left join movements
    on movements.quarter_start = windows.quarter_start
    and movements.month_start = windows.month_start
group by windows.quarter_start, windows.month_start
