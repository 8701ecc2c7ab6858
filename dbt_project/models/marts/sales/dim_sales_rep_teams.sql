{#- The KPI teams each person in sales counts in (marts.md, kpi_monthly: a
    team is a manager's whole reporting line, at any depth, the manager
    included), flattened for the semantic layer (models/semantic): a team's
    level is its manager's depth below the top of the HR reporting line + 1, so
    a person's teams have one level each, and kpi_monthly's row of a team at
    level k adds up the people whose team_level_k is its manager. -#}
{%- set levels = range(1, 6) %}

with teams as (
    select scope_id as manager_employee_number, employee_number
    from {{ ref('int_kpi_scopes_rolled_up') }}
    where scope_type = 'team'
),

levelled as (
    select
        teams.employee_number,
        teams.manager_employee_number,
        {#- The manager's ancestors, the manager excluded. -#}
        (
            select count(*) from {{ ref('int_reporting_lines_flattened') }} as lines
            where lines.employee_number = teams.manager_employee_number and lines.depth > 0
        ) + 1 as team_level
    from teams
),

named as (
    select
        levelled.*,
        cast(nullif(trim(concat_ws(' ', managers.first_name, managers.last_name)), '') as varchar) as team_name
    from levelled
    left join {{ ref('stg_hr__employees') }} as managers
        on managers.employee_number = levelled.manager_employee_number
),

per_person as (
    select
        employee_number,
        arg_max(manager_employee_number, team_level) as team,
        arg_max(team_name, team_level) as team_name,
        count(*) as team_depth,
        '/' || string_agg(manager_employee_number, '/' order by team_level) || '/' as team_path,
        {%- for level in levels %}
        max(manager_employee_number) filter (where team_level = {{ level }}) as team_level_{{ level }},
        max(team_name) filter (where team_level = {{ level }}) as team_level_{{ level }}_name{{ ',' if not loop.last }}
        {%- endfor %}
    from named
    group by employee_number
)

select
    reps.employee_number,
    per_person.team,
    per_person.team_name,
    cast(coalesce(per_person.team_depth, 0) as integer) as team_depth,
    per_person.team_path,
    {%- for level in levels %}
    per_person.team_level_{{ level }},
    per_person.team_level_{{ level }}_name{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('int_sales_reps_joined') }} as reps
left join per_person on per_person.employee_number = reps.employee_number
