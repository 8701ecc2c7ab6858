with latest as (
    {{ latest_by_id(source('planning', 'marketing_spend'), ['"month"', '"channel"']) }}
)

select
    "month" as month_label,
    cast(strptime("month", '%Y-%m') as date) as month_start,
    "channel" as channel,
    {{ money('"amount"') }} as amount,
    _delivery as delivery_id
from latest
