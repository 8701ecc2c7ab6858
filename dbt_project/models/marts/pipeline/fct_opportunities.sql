{#- Opportunities as BI reads them (int_opportunities_classified). -#}
select * from {{ ref('int_opportunities_classified') }}
