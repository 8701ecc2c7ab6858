{#- One row per opportunity (not deleted) x funnel step it entered: whether it
    went on to a later step and to the won step, and how long it stayed in the
    step (_funnel__models.yml defines them).

    Every opportunity enters the first step after `lead` (rank 2) when it is
    created; its history (or its current stage) reaching a stage of a later step
    means it entered that step and the ones before. Time in step: the step is
    entered with the first change to a stage of it or of a later step; when that
    change is to a stage of the step itself (the step was not skipped), it is
    left with the first later change to a stage of a later step or to a lost
    stage. Several changes on one day all count. -#}
with funnel_steps as (
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

{#- The opportunity's stage changes in order. -#}
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

{#- The furthest step each opportunity reached. -#}
reached as (
    select
        opportunities.opportunity_id,
        cast(date_trunc('month', opportunities.created_date) as date) as cohort_month,
        greatest(
            2,
            coalesce(max(history.step_rank), 0),
            coalesce(opportunities.current_step_rank, 0)
        ) as reached_rank
    from opportunities
    left join history on history.opportunity_id = opportunities.opportunity_id
    group by opportunities.opportunity_id, opportunities.created_date, opportunities.current_step_rank
),

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

days_in_steps as (
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
)

select
    reached.opportunity_id,
    reached.cohort_month,
    funnel_steps.funnel_step,
    case when not funnel_steps.is_won_step then reached.reached_rank > funnel_steps.step_order end as has_advanced,
    reached.reached_rank >= ranks.won_rank as has_won,
    days_in_steps.days_in_step
from reached
cross join ranks
inner join funnel_steps
    on funnel_steps.step_order between 2 and reached.reached_rank
left join days_in_steps
    on days_in_steps.opportunity_id = reached.opportunity_id
    and days_in_steps.funnel_step = funnel_steps.funnel_step
