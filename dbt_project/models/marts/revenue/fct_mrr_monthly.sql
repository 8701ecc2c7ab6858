{#- MRR per customer per month with its movement (int_mrr_months_classified). -#}
select * from {{ ref('int_mrr_months_classified') }}
