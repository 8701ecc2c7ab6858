{#- Split by owner, the waterfall still adds up: for every target quarter and
    month, each movement summed over owners equals the company waterfall, and
    every owner's row keeps the identity. Returns the rows that break it. -#}
with by_owner as (
    select
        target_quarter_start, month,
        {%- for column in ['opening_amount', 'created_amount', 'pulled_in_amount', 'pushed_out_amount', 'won_amount',
                           'lost_amount', 'removed_amount', 'amount_change', 'closing_amount'] %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        count(*) filter (
            where closing_amount <> opening_amount + created_amount + pulled_in_amount - pushed_out_amount
                - won_amount - lost_amount - removed_amount + amount_change
        ) as rows_breaking_identity
    from {{ ref('rpt_pipeline_waterfall_by_owner') }}
    group by target_quarter_start, month
)

select company.*, by_owner.rows_breaking_identity
from {{ ref('rpt_pipeline_waterfall') }} as company
left join by_owner using (target_quarter_start, month)
where by_owner.rows_breaking_identity > 0
    {%- for column in ['opening_amount', 'created_amount', 'pulled_in_amount', 'pushed_out_amount', 'won_amount',
                       'lost_amount', 'removed_amount', 'amount_change', 'closing_amount'] %}
    or coalesce(by_owner.{{ column }}, 0) <> company.{{ column }}
    {%- endfor %}
