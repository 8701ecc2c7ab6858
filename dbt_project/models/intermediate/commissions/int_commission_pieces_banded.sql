{#- Commission on credited deals, cut at band edges (commission_rules.md 6).
    Within a statement, deals are taken in CloseDate order, then opportunity Id;
    each deal's credit covers [credit_before, credit_after) of the period's
    cumulative credit, and each overlap with a band is one piece. Band edges in
    money are tier bounds x effective quota, rounded to cents. -#}
with deal_credits as (
    {#- A deal credited to one person twice (two splits, two CRM users) is one credit. -#}
    select employee_number, plan_id, period_start, opportunity_id, close_date, sum(credited_amount) as credited_amount
    from {{ ref('int_credits_allocated') }}
    where plan_id is not null
    group by employee_number, plan_id, period_start, opportunity_id, close_date
),

credits as (
    select
        deal_credits.*,
        quotas.effective_quota,
        coalesce(sum(deal_credits.credited_amount) over (
            partition by deal_credits.employee_number, deal_credits.plan_id, deal_credits.period_start
            order by deal_credits.close_date, deal_credits.opportunity_id
            rows between unbounded preceding and 1 preceding
        ), 0) as credit_before
    from deal_credits
    inner join {{ ref('int_quotas_ramped') }} as quotas
        on quotas.employee_number = deal_credits.employee_number
        and quotas.plan_id = deal_credits.plan_id
        and quotas.period_start = deal_credits.period_start
),

plans as (
    select plan_id, cap from {{ ref('stg_planning__comp_plans') }}
),

tiers as (
    select
        tiers.*,
        row_number() over (partition by tiers.plan_id order by tiers.band_from) as tier_rank
    from {{ ref('stg_planning__comp_plan_tiers') }} as tiers
),

{#- Each statement's bands in money. -#}
bands as (
    -- Effective quota > 0: the tiers, cut at the cap.
    select
        credits.employee_number, credits.plan_id, credits.period_start,
        tiers.band_from, tiers.band_to, tiers.rate,
        round(tiers.band_from * credits.effective_quota, 2) as money_from,
        case
            when plans.cap is not null and (tiers.band_to is null or tiers.band_to > plans.cap)
                then round(plans.cap * credits.effective_quota, 2)
            when tiers.band_to is not null then round(tiers.band_to * credits.effective_quota, 2)
        end as money_to
    from (select distinct employee_number, plan_id, period_start, effective_quota from credits) as credits
    inner join plans on plans.plan_id = credits.plan_id
    inner join tiers on tiers.plan_id = credits.plan_id
    where credits.effective_quota > 0
        and (plans.cap is null or tiers.band_from < plans.cap)

    union all

    -- Above the cap: credit that earns nothing, shown at rate 0.
    select
        credits.employee_number, credits.plan_id, credits.period_start,
        plans.cap, null, 0,
        round(plans.cap * credits.effective_quota, 2), null
    from (select distinct employee_number, plan_id, period_start, effective_quota from credits) as credits
    inner join plans on plans.plan_id = credits.plan_id
    where credits.effective_quota > 0 and plans.cap is not null

    union all

    -- Effective quota 0 (a fully ramping period): everything in the first tier, no cap.
    select
        credits.employee_number, credits.plan_id, credits.period_start,
        tiers.band_from, tiers.band_to, tiers.rate,
        0, null
    from (select distinct employee_number, plan_id, period_start, effective_quota from credits) as credits
    inner join tiers on tiers.plan_id = credits.plan_id and tiers.tier_rank = 1
    where credits.effective_quota = 0
),

pieces as (
    select
        credits.employee_number,
        credits.plan_id,
        credits.period_start,
        credits.opportunity_id,
        credits.close_date,
        bands.band_from,
        bands.band_to,
        bands.rate,
        least(
            credits.credit_before + credits.credited_amount,
            coalesce(bands.money_to, credits.credit_before + credits.credited_amount)
        )
            - greatest(credits.credit_before, bands.money_from) as piece
    from credits
    inner join bands
        on bands.employee_number = credits.employee_number
        and bands.plan_id = credits.plan_id
        and bands.period_start = credits.period_start
)

select
    employee_number,
    plan_id,
    period_start,
    'commission' as line_type,
    opportunity_id,
    close_date,
    cast(piece as decimal(18, 2)) as credited_amount,
    band_from,
    band_to,
    rate,
    cast(round(piece * rate, 2) as decimal(18, 2)) as amount
from pieces
where piece > 0
