with latest as (
    {{ latest_by_id(source('planning', 'account_territory'), ['"account_id"']) }}
)

select
    "account_id" as account_id,
    "territory_id" as territory_id,
    _delivery as delivery_id
from latest
