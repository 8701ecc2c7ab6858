with latest as (
    {{ latest_by_id(source('crm', 'opportunity_split'), ['"Id"']) }}
)

select
    "Id" as opportunity_split_id,
    "OpportunityId" as opportunity_id,
    "SplitOwnerId" as split_owner_user_id,
    cast("SplitPercentage" as double) as split_percent,
    coalesce("IsDeleted", false) as is_deleted,
    _delivery as delivery_id
from latest
