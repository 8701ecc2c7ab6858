{#- Quota and attainment of each manager's whole reporting line (any depth,
    themselves included), per fiscal quarter (commission_rules.md 11). -#}
with reporting_line as (
    select manager_employee_number, employee_number from {{ ref('int_reporting_lines_flattened') }}
),

managers as (
    select distinct supervisor_employee_number as employee_number
    from {{ ref('stg_hr__employees') }}
    where supervisor_employee_number is not null
),

statements as (
    select
        employee_number,
        {{ fiscal_quarter_start('period_start') }} as quarter_start,
        effective_quota,
        credited_bookings
    from {{ ref('fct_quota_attainment') }}
)

select
    reporting_line.manager_employee_number,
    statements.quarter_start,
    cast(count(distinct statements.employee_number) as integer) as people_with_statements,
    cast(sum(statements.effective_quota) as decimal(18, 2)) as effective_quota,
    cast(sum(statements.credited_bookings) as decimal(18, 2)) as credited_bookings,
    cast(case when sum(statements.effective_quota) <> 0
        then round(sum(statements.credited_bookings) / sum(statements.effective_quota), 6) end as decimal(18, 6))
        as attainment
from reporting_line
inner join managers on managers.employee_number = reporting_line.manager_employee_number
inner join statements on statements.employee_number = reporting_line.employee_number
group by reporting_line.manager_employee_number, statements.quarter_start
