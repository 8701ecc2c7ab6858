{#- The pipeline KPIs of kpi_monthly (marts.md), for the company, each team and
    each rep. A deal counts for its owner (OwnerId -> EmployeeNumber); the
    company counts every deal, owned by a person or not. Ratios whose
    denominator is zero are null.

    open_pipeline / weighted_pipeline: open deals at the end of M's last day (the
    as-of date for the current month). pipeline_coverage: open deals at M's end
    closing in the next fiscal quarter / the effective quota of the scope's
    people for that quarter (int_quota_months_ramped: ramp and hire and
    termination dates are known in advance, so a ramping hire brings less). sales_velocity: open deals at M's end
    x avg deal size x win rate / sales cycle days, the last three over M-2..M.
    forecast_accuracy: 1 - |committed - bookings| / bookings, committed = open
    deals in Commit closing in M on the snapshot of M's first day. -#}
with months as (
    select months.month, least(months.month_end, as_of.as_of_date) as measured_on
    from {{ ref('int_kpi_months_spined') }} as months
    cross join {{ ref('int_run_as_of') }} as as_of
),

{#- Facts per owner and month; a scope sums the facts of its people. -#}
opportunity_facts as (
    select
        owner_employee_number as employee_number,
        cast(date_trunc('month', close_date) as date) as month,
        sum(amount) filter (where is_won) as bookings,
        count(*) filter (where is_won) as won_deals,
        count(*) filter (where is_closed and not is_won) as lost_deals,
        sum(sales_cycle_days) filter (where is_won) as won_cycle_days,
        0 as pipeline_created
    from {{ ref('int_opportunities_classified') }}
    where is_closed
    group by all
    union all
    select owner_employee_number, cast(date_trunc('month', created_date) as date), 0, 0, 0, 0, sum(amount)
    from {{ ref('int_opportunities_classified') }}
    group by all
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

{#- The open deals of each month's measuring day, as the snapshots hold them. -#}
open_facts as (
    select
        states.owner_employee_number as employee_number,
        months.month,
        sum(states.amount) as open_pipeline,
        sum({{ weighted_amount('states.amount', 'states.probability') }}) as weighted_pipeline,
        count(*) as open_deals,
        sum(states.amount) filter (
            where {{ fiscal_quarter_start('states.close_date') }}
                = {{ fiscal_quarter_start('months.month') }} + interval 3 month
        ) as next_quarter_pipeline
    from months
    inner join states on {{ is_open_on('states', 'months.measured_on') }}
    group by all
),

committed_facts as (
    select states.owner_employee_number as employee_number, months.month, sum(states.amount) as committed
    from months
    inner join states
        on {{ is_open_on('states', 'months.month') }}
        and date_trunc('month', states.close_date) = months.month
    where states.forecast_category = 'Commit'
    group by all
),

quota_facts as (
    select
        quotas.employee_number,
        months.month,
        {#- In cents over a common denominator, exact: a scope sums these and divides once (pipeline_coverage),
            where a sum of dollars as doubles would differ in its last bit from one build to the next. -#}
        sum(quotas.effective_numerator) as next_quarter_quota_numerator
    from months
    inner join {{ ref('int_quota_months_ramped') }} as quotas
        on {{ fiscal_quarter_start('quotas.month_start') }}
            = {{ fiscal_quarter_start('months.month') }} + interval 3 month
    group by all
),

lead_facts as (
    select
        users.employee_number,
        cast(date_trunc('month', leads.created_at) as date) as month,
        count(*) as leads_created,
        count(*) filter (where leads.is_converted) as leads_converted
    from {{ ref('stg_crm__leads') }} as leads
    left join {{ ref('stg_crm__users') }} as users on users.user_id = leads.owner_user_id
    where not leads.is_deleted
    group by all
),

facts as (
    select
        employee_number, month,
        bookings, won_deals, lost_deals, won_cycle_days, pipeline_created,
        null as open_pipeline, null as weighted_pipeline, null as open_deals, null as next_quarter_pipeline,
        null as committed, null as next_quarter_quota_numerator, null as leads_created, null as leads_converted
    from opportunity_facts
    union all by name
    select employee_number, month, open_pipeline, weighted_pipeline, open_deals, next_quarter_pipeline
    from open_facts
    union all by name
    select employee_number, month, committed from committed_facts
    union all by name
    select employee_number, month, next_quarter_quota_numerator from quota_facts
    union all by name
    select employee_number, month, leads_created, leads_converted from lead_facts
),

{#- Summed to 0 where a scope has none; the cycle days and the quota stay null (ratios over them are null). -#}
{{ kpi_rollup('totals', 'facts', 'employee_number', summed_measures([
    'bookings', 'won_deals', 'lost_deals', 'pipeline_created', 'open_pipeline', 'weighted_pipeline', 'open_deals',
    'next_quarter_pipeline', 'committed', 'leads_created', 'leads_converted',
]) + ['sum(scoped.won_cycle_days) as won_cycle_days', 'sum(scoped.next_quarter_quota_numerator) as next_quarter_quota_numerator']) }},

with_trailing as (
    select
        *,
        sum(bookings) over trailing_quarter as trailing_bookings,
        sum(won_deals) over trailing_quarter as trailing_won,
        sum(lost_deals) over trailing_quarter as trailing_lost,
        sum(won_cycle_days) over trailing_quarter as trailing_cycle_days
    from totals
    window trailing_quarter as (
        partition by scope_type, scope_id order by month rows between 2 preceding and current row
    )
),

kpi_values as (
    select
        month, scope_type, scope_id,
        cast(bookings as double) as bookings,
        cast(won_deals as double) as won_deals,
        cast(lost_deals as double) as lost_deals,
        won_deals / nullif(won_deals + lost_deals, 0) as win_rate,
        bookings / nullif(won_deals, 0) as avg_deal_size,
        won_cycle_days / nullif(won_deals, 0) as sales_cycle_days,
        cast(pipeline_created as double) as pipeline_created,
        cast(open_pipeline as double) as open_pipeline,
        cast(weighted_pipeline as double) as weighted_pipeline,
        next_quarter_pipeline
            / nullif(next_quarter_quota_numerator / {{ effective_quota_denominator() }} / 100, 0) as pipeline_coverage,
        open_deals
            * (trailing_bookings / nullif(trailing_won, 0))
            * (trailing_won / nullif(trailing_won + trailing_lost, 0))
            / nullif(trailing_cycle_days / nullif(trailing_won, 0), 0) as sales_velocity,
        leads_converted / nullif(leads_created, 0) as lead_conversion_rate,
        1 - abs(committed - bookings) / nullif(bookings, 0) as forecast_accuracy
    from with_trailing
)

select month, scope_type, scope_id, kpi, value
from kpi_values
unpivot include nulls (value for kpi in (
    bookings, won_deals, lost_deals, win_rate, avg_deal_size, sales_cycle_days, pipeline_created, open_pipeline,
    weighted_pipeline, pipeline_coverage, sales_velocity, lead_conversion_rate, forecast_accuracy
))
