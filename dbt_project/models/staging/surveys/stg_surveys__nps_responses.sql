with latest as (
    {{ latest_by_id(source('surveys', 'nps_response'), ['"response_id"']) }}
)

select
    "response_id" as nps_response_id,
    "account_id" as account_id,
    cast("score" as integer) as score,
    "submitted_at" as submitted_at,
    _delivery as delivery_id
from latest
