with assignments as (
    {{ from_latest_comp_plan_file('comp_plan_assignment') }}
)

select
    trim(employee_number) as employee_number,
    plan_id,
    start_date,
    end_date,
    _line_number as source_line,
    _delivery as delivery_id
from assignments
