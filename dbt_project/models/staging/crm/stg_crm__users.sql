with latest as (
    {{ latest_by_id(source('crm', 'user'), ['"Id"']) }}
)

select
    "Id" as user_id,
    "Name" as user_name,
    "Email" as email,
    "IsActive" as is_active,
    "ManagerId" as manager_user_id,
    "UserRoleId" as user_role_id,
    nullif(trim("EmployeeNumber"), '') as employee_number,
    "Title" as title,
    "CreatedDate" as created_at,
    _delivery as delivery_id
from latest
