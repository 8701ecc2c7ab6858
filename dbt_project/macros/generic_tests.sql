{#- Generic tests the dbt package hub would give (dbt_utils is out of reach offline). -#}

{#- written_by: a column naming the build that wrote each row (an incremental model's); only the rows of the
    latest build are checked, the others were checked when they were written and have not changed since. -#}
{% test unique_combination(model, columns, written_by=none) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if written_by %}
where {{ written_by }} = (select max({{ written_by }}) from {{ model }})
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test at_most(model, column_name, value) %}
select * from {{ model }} where {{ column_name }} > {{ value }}
{% endtest %}
