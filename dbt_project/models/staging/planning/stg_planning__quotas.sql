with latest as (
    {{ latest_by_id(source('planning', 'quota'), ['"employee_number"', '"period"']) }}
)

select
    trim("employee_number") as employee_number,
    "period" as period,
    {{ money('"quota_amount"') }} as quota_amount,
    _delivery as delivery_id
from latest
