{#- The funnel by creation cohort: per cohort month and funnel step (lead →
    prospect → opportunity → customer), how many entered the step, how many of
    them reached the next step and customer, and how long those that left the
    step stayed in it. The definitions are in _funnel__models.yml.

    The steps and their ranks come from the stage map setting
    (int_funnel_steps_ordered): lead is 1, so an opportunity's steps rank from 2
    (entered at creation) to the won step's (`won_rank`). A stage takes the rank
    of its funnel step; a lost stage has none: a loss ends a step, it is not a
    step. -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

funnel_steps as (
    select * from {{ ref('int_funnel_steps_ordered') }}
),

ranks as (
    select max(step_order) filter (where is_won_step) as won_rank from funnel_steps
),

stages as (
    select
        stages.stage_name,
        stages.funnel_step,
        funnel_steps.step_order as step_rank,
        stages.is_closed and not stages.is_won as is_lost
    from {{ ref('int_stages_configured') }} as stages
    left join funnel_steps on funnel_steps.funnel_step = stages.funnel_step
),

opportunities as (
    select
        opportunities.opportunity_id,
        cast(opportunities.created_at as date) as created_date,
        current_stage.step_rank as current_step_rank
    from {{ ref('stg_crm__opportunities') }} as opportunities
    left join stages as current_stage on current_stage.stage_name = opportunities.stage_name
    where not opportunities.is_deleted
),

{#- The opportunity's stage changes in order (several on one day all count). -#}
history as (
    select
        histories.opportunity_id,
        cast(histories.changed_at as date) as changed_date,
        stages.funnel_step,
        stages.step_rank,
        coalesce(stages.is_lost, false) as is_lost,
        row_number() over (
            partition by histories.opportunity_id
            order by histories.changed_at, histories.opportunity_history_id
        ) as change_seq
    from {{ ref('stg_crm__opportunity_histories') }} as histories
    inner join opportunities on opportunities.opportunity_id = histories.opportunity_id
    left join stages on stages.stage_name = histories.stage_name
    where not histories.is_deleted
),

{#- The furthest step each opportunity reached: every opportunity is a
    prospect from its creation; its history (or its current stage) reaching a
    stage of a later step means it entered that step and the ones before. -#}
opportunities_reached as (
    select
        opportunities.opportunity_id,
        date_trunc('month', opportunities.created_date) as cohort_month,
        greatest(
            2,
            coalesce(max(history.step_rank), 0),
            coalesce(opportunities.current_step_rank, 0)
        ) as reached_rank
    from opportunities
    left join history on history.opportunity_id = opportunities.opportunity_id
    group by opportunities.opportunity_id, opportunities.created_date, opportunities.current_step_rank
),

{#- Time in step: the step is entered with the first change to a stage of it
    or of a later step; when that change is to a stage of the step itself (the
    step was not skipped), it is left with the first later change to a stage
    of a later step or to a lost stage. -#}
step_entries as (
    select
        history.opportunity_id, funnel_steps.funnel_step, funnel_steps.step_order,
        min(history.change_seq) as entry_seq
    from history
    inner join funnel_steps
        on funnel_steps.step_order >= 2
        and not funnel_steps.is_won_step
        and history.step_rank >= funnel_steps.step_order
    group by history.opportunity_id, funnel_steps.funnel_step, funnel_steps.step_order
),

step_exits as (
    select step_entries.opportunity_id, step_entries.funnel_step, min(history.change_seq) as exit_seq
    from step_entries
    inner join history
        on history.opportunity_id = step_entries.opportunity_id
        and history.change_seq > step_entries.entry_seq
        and (history.step_rank > step_entries.step_order or history.is_lost)
    group by step_entries.opportunity_id, step_entries.funnel_step
),

days_in_opportunity_steps as (
    select
        step_entries.opportunity_id,
        step_entries.funnel_step,
        {{ dbt.datediff('entered.changed_date', 'exited.changed_date', 'day') }} as days_in_step
    from step_entries
    inner join history as entered
        on entered.opportunity_id = step_entries.opportunity_id and entered.change_seq = step_entries.entry_seq
    inner join step_exits
        on step_exits.opportunity_id = step_entries.opportunity_id and step_exits.funnel_step = step_entries.funnel_step
    inner join history as exited
        on exited.opportunity_id = step_exits.opportunity_id and exited.change_seq = step_exits.exit_seq
    where entered.funnel_step = step_entries.funnel_step
),

opportunity_step_members as (
    select
        opportunities_reached.cohort_month,
        funnel_steps.funnel_step,
        case
            when not funnel_steps.is_won_step
                then opportunities_reached.reached_rank > funnel_steps.step_order
        end as has_advanced,
        opportunities_reached.reached_rank >= ranks.won_rank as has_won,
        days_in_opportunity_steps.days_in_step
    from opportunities_reached
    cross join ranks
    inner join funnel_steps
        on funnel_steps.step_order between 2 and opportunities_reached.reached_rank
    left join days_in_opportunity_steps
        on days_in_opportunity_steps.opportunity_id = opportunities_reached.opportunity_id
        and days_in_opportunity_steps.funnel_step = funnel_steps.funnel_step
),

{#- Leads: converted = IsConverted with a ConvertedOpportunityId or a
    ConvertedDate; won when the converted opportunity (not deleted) reached
    customer. -#}
leads as (
    select
        date_trunc('month', cast(created_at as date)) as cohort_month,
        cast(created_at as date) as created_date,
        coalesce(is_converted, false)
            and (converted_opportunity_id is not null or converted_date is not null) as has_advanced,
        converted_opportunity_id,
        converted_date
    from {{ ref('stg_crm__leads') }}
    where not is_deleted
),

lead_step_members as (
    select
        leads.cohort_month,
        'lead' as funnel_step,
        leads.has_advanced,
        leads.has_advanced and coalesce(converted.reached_rank >= ranks.won_rank, false) as has_won,
        case when leads.has_advanced then {{ dbt.datediff('leads.created_date', 'leads.converted_date', 'day') }} end
            as days_in_step
    from leads
    cross join ranks
    left join opportunities_reached as converted on converted.opportunity_id = leads.converted_opportunity_id
),

step_members as (
    select cohort_month, funnel_step, has_advanced, has_won, days_in_step from lead_step_members
    union all
    select cohort_month, funnel_step, has_advanced, has_won, days_in_step from opportunity_step_members
),

cohort_months as (
    {{ month_spine(
        '(select min(cohort_month) from step_members)',
        '(select as_of_date from as_of)'
    ) }}
),

counted as (
    select
        cast(cohort_month as date) as cohort_month,
        funnel_step,
        count(*) as entered,
        count(*) filter (where has_advanced) as advanced,
        count(*) filter (where has_won) as won,
        count(days_in_step) as exited,
        median(days_in_step) as median_days_in_step
    from step_members
    group by cohort_month, funnel_step
)

select
    cohort_months.month_start as cohort_month,
    funnel_steps.funnel_step,
    cast(funnel_steps.step_order as integer) as step_order,
    cast(coalesce(counted.entered, 0) as bigint) as entered,
    cast(case when not funnel_steps.is_won_step then coalesce(counted.advanced, 0) end as bigint) as advanced,
    cast(case when not funnel_steps.is_won_step and counted.entered > 0
        then counted.advanced / counted.entered end as decimal(18, 6)) as conversion_rate_to_next,
    cast(coalesce(counted.won, 0) as bigint) as won,
    cast(case when counted.entered > 0 then counted.won / counted.entered end as decimal(18, 6))
        as conversion_rate_to_won,
    cast(coalesce(counted.exited, 0) as bigint) as exited,
    cast(counted.median_days_in_step as decimal(18, 1)) as median_days_in_step
from cohort_months
cross join funnel_steps
left join counted
    on counted.cohort_month = cohort_months.month_start
    and counted.funnel_step = funnel_steps.funnel_step
