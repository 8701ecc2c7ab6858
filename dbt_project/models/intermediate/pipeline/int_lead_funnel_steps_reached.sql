{#- One row per lead (not deleted), the funnel's `lead` step: converted =
    IsConverted with a ConvertedOpportunityId or a ConvertedDate (days in step:
    creation to ConvertedDate); won when the converted opportunity (not deleted)
    reached the won step. -#}
with won_opportunities as (
    select distinct opportunity_id, has_won
    from {{ ref('int_opportunity_funnel_steps_reached') }}
),

leads as (
    select
        lead_id,
        cast(date_trunc('month', cast(created_at as date)) as date) as cohort_month,
        cast(created_at as date) as created_date,
        coalesce(is_converted, false)
            and (converted_opportunity_id is not null or converted_date is not null) as has_advanced,
        converted_opportunity_id,
        converted_date
    from {{ ref('stg_crm__leads') }}
    where not is_deleted
)

select
    leads.lead_id,
    leads.cohort_month,
    leads.has_advanced,
    leads.has_advanced and coalesce(won_opportunities.has_won, false) as has_won,
    case when leads.has_advanced then {{ dbt.datediff('leads.created_date', 'leads.converted_date', 'day') }} end
        as days_in_step
from leads
left join won_opportunities on won_opportunities.opportunity_id = leads.converted_opportunity_id
