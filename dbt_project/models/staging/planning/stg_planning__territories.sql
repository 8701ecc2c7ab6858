with latest as (
    {{ latest_by_id(source('planning', 'territory'), ['"territory_id"']) }}
)

select
    "territory_id" as territory_id,
    "name" as territory_name,
    "region" as region,
    "segment" as segment,
    nullif(trim("owner_employee_number"), '') as owner_employee_number,
    _delivery as delivery_id
from latest
