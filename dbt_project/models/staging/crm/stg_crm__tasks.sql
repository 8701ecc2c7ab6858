{{ incremental_by_delivery('task_id') }}

with latest as (
    {{ latest_by_id(source('crm', 'task'), ['"Id"']) }}
)

select
    "Id" as task_id,
    "OwnerId" as owner_user_id,
    "WhoId" as who_id,
    "WhatId" as what_id,
    "Subject" as subject,
    "Type" as task_type,
    "Status" as task_status,
    "ActivityDate" as activity_date,
    "IsClosed" as is_closed,
    "CreatedDate" as created_at,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
