{#- The months of the in-quarter waterfall (marts.md): for each fiscal quarter,
    from three months before it starts to its last month, up to the as-of date.
    Opening = the end of the day before the month's first day, closing = the
    end of its last day (or the as-of date), so a month opens exactly where the
    previous one closed. -#}
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
    cross join range(-3, 3) as offsets (month_offset)
),

windows as (
    select
        quarter_months.*,
        cast(quarter_months.month_start - interval 1 day as date) as opening_date,
        least(last_day(quarter_months.month_start), as_of.as_of_date) as closing_date
    from quarter_months
    cross join as_of
    where quarter_months.month_start <= as_of.as_of_date
        and quarter_months.month_start >= (select date_trunc('month', min(states.valid_from)) from states)
)

select * from windows
