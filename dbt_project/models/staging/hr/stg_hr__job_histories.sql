with latest as (
    {{ latest_by_id(source('hr', 'job_history'), ['"Employee #"', '"Effective Date"']) }}
)

select
    trim("Employee #") as employee_number,
    "Effective Date" as effective_date,
    "Job Title" as job_title,
    "Department" as department,
    "Division" as division,
    "Location" as location,
    nullif(trim("Supervisor EID"), '') as supervisor_employee_number,
    _delivery as delivery_id
from latest
