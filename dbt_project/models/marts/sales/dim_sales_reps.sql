{#- People in sales (int_sales_reps_joined). -#}
select * from {{ ref('int_sales_reps_joined') }}
