with latest as (
    {{ latest_by_id(source('hr', 'candidate'), ['"Candidate ID"']) }}
)

select
    trim("Candidate ID") as candidate_id,
    "Job" as job_name,
    "Department" as department,
    "Source" as candidate_source,
    "Current Stage" as current_stage,
    "Applied Date" as applied_date,
    "Hired Date" as hired_date,
    "Rejected Date" as rejected_date,
    _delivery as delivery_id
from latest
