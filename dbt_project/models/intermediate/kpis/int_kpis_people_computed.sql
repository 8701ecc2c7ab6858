{#- The people KPIs of kpi_monthly (marts.md), long: one row per KPI month ×
    scope × KPI, value DOUBLE, null where the KPI's denominator is 0.

    rep_ramp_days (company, team): mean ramp_days (int_kpi_reps_ramped) of the
      people in sales of the scope hired in the trailing 12 months — hire_date
      from the first day of M−11 through M's last day — who had ramped by M's
      last day (ramped_on ≤ it); those not ramped yet do not count. Null when
      there are none.
    quota_attainment_rate (company, team): of the people with a quota in a plan
      period ending in M (fct_quota_attainment, period_end in M, effective_quota
      > 0), the share whose attainment is ≥ 1 (credited_bookings ≥
      effective_quota, summed over their statements ending in M should there be
      several). Quarterly plans end in a quarter's last month, so in the other
      months only monthly plans count; a period that ends after the as-of date
      (the current one) is provisional. Null when nobody had a quota.
    candidates_in_pipeline (company): candidates of the ATS export
      (candidates.csv, every department) who had applied on or before M's last
      day and were neither hired nor rejected by it (Hired Date / Rejected Date
      after it, or empty). A candidate whose Current Stage is Hired or Rejected
      with neither date cannot be dated and never counts.
    offers_accepted (company): candidates with a Hired Date in M.
    The ATS export has no link to a team, and a single rep's ramp or
    attainment is a fact about that person rather than a rate: there are no
    rep-scope people KPIs. #}
with months as (
    select month, month_end from {{ ref('int_kpi_months_spined') }}
),

ramp_facts as (
    select ramped.employee_number, months.month, ramped.ramp_days, cast(null as integer) as attained
    from months
    inner join {{ ref('int_kpi_reps_ramped') }} as ramped
        on ramped.hire_date >= cast(months.month - to_months(11) as date)
        and ramped.hire_date <= months.month_end
        and ramped.ramped_on <= months.month_end
),

attainment_facts as (
    select
        employee_number,
        cast(date_trunc('month', period_end) as date) as month,
        cast(null as integer) as ramp_days,
        case when sum(credited_bookings) >= sum(effective_quota) then 1 else 0 end as attained
    from {{ ref('int_statements_drawn') }}
    where effective_quota > 0
    group by employee_number, cast(date_trunc('month', period_end) as date)
),

facts as (
    select * from ramp_facts
    union all
    select employee_number, month, ramp_days, attained from attainment_facts
),

{{ kpi_rollup('measured', 'facts', 'employee_number', [
    'avg(scoped.ramp_days) as rep_ramp_days',
    'cast(sum(scoped.attained) as double) / nullif(count(scoped.attained), 0) as quota_attainment_rate',
], scope_types=('team',)) }},

candidates as (
    select
        applied_date,
        hired_date,
        case
            when hired_date is not null or rejected_date is not null then least(hired_date, rejected_date)
            {# Closed at a date the export does not give: closed since applying. #}
            when current_stage in ('Hired', 'Rejected') then applied_date
        end as closed_on
    from {{ ref('stg_hr__candidates') }}
),

candidate_counts as (
    select
        months.month,
        count(*) filter (
            where candidates.applied_date <= months.month_end
                and (candidates.closed_on is null or candidates.closed_on > months.month_end)
        ) as candidates_in_pipeline,
        count(*) filter (
            where candidates.hired_date between months.month and months.month_end
        ) as offers_accepted
    from months
    left join candidates on true  -- every month has a row, 0 without candidates
    group by months.month
)

select month, scope_type, scope_id, cast('rep_ramp_days' as varchar) as kpi, cast(rep_ramp_days as double) as value
from measured

union all

select month, scope_type, scope_id, 'quota_attainment_rate', quota_attainment_rate
from measured

union all

select month, 'company', cast(null as varchar), 'candidates_in_pipeline', cast(candidates_in_pipeline as double)
from candidate_counts

union all

select month, 'company', cast(null as varchar), 'offers_accepted', cast(offers_accepted as double)
from candidate_counts
