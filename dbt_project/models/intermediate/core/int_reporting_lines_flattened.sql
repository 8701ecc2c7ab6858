{#- Every (manager, person) pair of the HR reporting line (Supervisor EID), at
    any depth, each person also paired with themselves (depth 0). -#}
with recursive reporting_line as (
    select employee_number as manager_employee_number, employee_number, 0 as depth
    from {{ ref('stg_hr__employees') }}

    union all

    select reporting_line.manager_employee_number, reports.employee_number, reporting_line.depth + 1
    from reporting_line
    inner join {{ ref('stg_hr__employees') }} as reports
        on reports.supervisor_employee_number = reporting_line.employee_number
    where reporting_line.depth < 50  -- a cycle in Supervisor EID must not loop forever
)

select manager_employee_number, employee_number, min(depth) as depth
from reporting_line
group by manager_employee_number, employee_number
