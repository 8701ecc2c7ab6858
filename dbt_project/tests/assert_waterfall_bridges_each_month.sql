{#- The waterfall identity (marts.md): closing = opening + created + pulled_in −
    pushed_out − won − lost − removed + amount_change, every movement but
    amount_change ≥ 0, and a month opens where the previous month of the same
    target quarter closed. Returns the rows that break it. -#}
with waterfall as (
    select
        *,
        lag(closing_amount) over (partition by target_quarter_start order by month) as previous_closing,
        lag(month) over (partition by target_quarter_start order by month) as previous_month
    from {{ ref('rpt_pipeline_waterfall') }}
)

select *
from waterfall
where closing_amount <> opening_amount + created_amount + pulled_in_amount - pushed_out_amount
        - won_amount - lost_amount - removed_amount + amount_change
    or least(opening_amount, created_amount, pulled_in_amount, pushed_out_amount, won_amount, lost_amount,
             removed_amount, closing_amount) < 0
    or (
        previous_month is not null
        and (previous_month <> month - interval 1 month or previous_closing <> opening_amount)
    )
