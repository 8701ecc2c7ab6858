with latest as (
    {{ latest_by_id(source('crm', 'user_role'), ['"Id"']) }}
)

select
    "Id" as user_role_id,
    "Name" as user_role_name,
    "ParentRoleId" as parent_user_role_id,
    _delivery as delivery_id
from latest
