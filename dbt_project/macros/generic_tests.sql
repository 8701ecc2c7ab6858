{#- Generic tests the dbt package hub would give (dbt_utils is out of reach offline). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test at_most(model, column_name, value) %}
select * from {{ model }} where {{ column_name }} > {{ value }}
{% endtest %}
