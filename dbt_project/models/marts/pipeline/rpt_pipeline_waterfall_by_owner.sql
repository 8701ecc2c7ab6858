{#- The in-quarter waterfall per deal owner: the rows of rpt_pipeline_waterfall
    split by the opportunity's (current) owner, so that a team's waterfall is
    the sum over the people of its reporting line. Only owners with pipeline in
    the window have a row; the identity holds on every row. -#}
select
    movements.quarter_start as target_quarter_start,
    movements.month_start as month,
    movements.owner_employee_number,
    {%- for column in ['opening_amount', 'created_amount', 'pulled_in_amount', 'pushed_out_amount', 'won_amount',
                       'lost_amount', 'removed_amount', 'amount_change', 'closing_amount'] %}
    cast(sum(movements.{{ column }}) as decimal(18, 2)) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('int_waterfall_movements_measured') }} as movements
group by movements.quarter_start, movements.month_start, movements.owner_employee_number
