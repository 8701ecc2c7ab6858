{#- The in-quarter waterfall (marts.md) of the whole company: for each fiscal
    quarter Q, the open pipeline closing in Q, month by month from three months
    before Q starts to Q's last month (int_waterfall_windows), summed from each
    deal's movement (int_waterfall_movements_measured). -#}
select
    windows.quarter_start as target_quarter_start,
    windows.month_start as month,
    {%- for column in ['opening_amount', 'created_amount', 'pulled_in_amount', 'pushed_out_amount', 'won_amount',
                       'lost_amount', 'removed_amount', 'amount_change', 'closing_amount'] %}
    cast(coalesce(sum(movements.{{ column }}), 0) as decimal(18, 2)) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('int_waterfall_windows') }} as windows
left join {{ ref('int_waterfall_movements_measured') }} as movements
    on movements.quarter_start = windows.quarter_start
    and movements.month_start = windows.month_start
group by windows.quarter_start, windows.month_start
