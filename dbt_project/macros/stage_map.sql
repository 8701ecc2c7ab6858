{#- The configured stage map (var stage_map) as rows, so SQL joins a setting
    rather than hard-coding stage names. -#}
{% macro stage_map_values() -%}
    select * from (values
    {%- for stage in var('stage_map') %}
        ({{ dbt.string_literal(stage.stage_name) }}, {{ dbt.string_literal(stage.funnel_step) }},
         {{ stage.stage_order | int }}, {{ 'true' if stage.is_closed else 'false' }}, {{ 'true' if stage.is_won else 'false' }})
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ) as stage_map (stage_name, funnel_step, stage_order, is_closed, is_won)
{%- endmacro %}
