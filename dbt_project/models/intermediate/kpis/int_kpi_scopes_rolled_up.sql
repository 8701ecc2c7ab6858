{#- Who counts in each KPI scope (marts.md, kpi_monthly): the company (every
    person; scope_id null), each team (scope_id = the manager: the whole
    reporting line under them, at any depth, themselves included), and each rep
    (scope_id = the rep, themselves). People are those of dim_sales_reps' HR
    export; a team is anyone with reports. -#}
with lines as (
    select * from {{ ref('int_reporting_lines_flattened') }}
),

managers as (
    select distinct manager_employee_number
    from lines
    where depth > 0
)

select 'company' as scope_type, cast(null as varchar) as scope_id, employee_number
from {{ ref('stg_hr__employees') }}

union all

select 'team', lines.manager_employee_number, lines.employee_number
from lines
inner join managers on managers.manager_employee_number = lines.manager_employee_number

union all

select 'rep', employee_number as scope_id, employee_number
from {{ ref('int_sales_reps_joined') }}
