with latest as (
    {{ latest_by_id(source('hr', 'employee'), ['"Employee #"']) }}
)

select
    trim("Employee #") as employee_number,
    "First Name" as first_name,
    "Last Name" as last_name,
    "Work Email" as work_email,
    "Job Title" as job_title,
    "Department" as department,
    "Division" as division,
    "Location" as location,
    nullif(trim("Supervisor EID"), '') as supervisor_employee_number,
    "Hire Date" as hire_date,
    "Termination Date" as termination_date,
    "Employment Status" as employment_status,
    {{ money('"Pay Rate"') }} as pay_rate,
    "Pay Rate (currency)" as pay_rate_currency,
    "Pay Per" as pay_per,
    {{ money('"Variable Pay Target"') }} as variable_pay_target,
    "Variable Pay Target (currency)" as variable_pay_target_currency,
    _delivery as delivery_id
from latest
