{#- The pipeline's two rules, written once (marts.md, fct_pipeline_snapshots). -#}

{#- A deal state (int_opportunity_states_dated) is open at the end of day_expr:
    the state in force that day, in a stage that is not closed, and the deal not
    yet deleted (it leaves the pipeline on the date of the delivery deleting it). -#}
{% macro is_open_on(states, day_expr) -%}
    {{ day_expr }} >= {{ states }}.valid_from
    and ({{ states }}.valid_to is null or {{ day_expr }} <= {{ states }}.valid_to)
    and not {{ states }}.is_closed
    and ({{ states }}.deleted_date is null or {{ day_expr }} < {{ states }}.deleted_date)
{%- endmacro %}

{#- amount x probability (a fraction), to the cent. -#}
{% macro weighted_amount(amount, probability) -%}
    cast({{ amount }} * {{ probability }} as decimal(18, 2))
{%- endmacro %}
