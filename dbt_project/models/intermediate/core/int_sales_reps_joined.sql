{#- One row per person in sales: HR is the system of record for people, the CRM
    user is attached by EmployeeNumber. No pay, no personal email. -#}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

crm_users as (
    select
        employee_number,
        user_id,
        row_number() over (
            partition by employee_number
            order by is_active desc, created_at desc, user_id asc
        ) as preference
    from {{ ref('stg_crm__users') }}
    where employee_number is not null
),

in_sales as (
    select employees.*, crm_users.user_id as crm_user_id
    from employees
    left join crm_users
        on crm_users.employee_number = employees.employee_number
        and crm_users.preference = 1
    where employees.department in ({{ sales_departments() }})
        or crm_users.user_id is not null
),

tenure as (
    select
        in_sales.employee_number,
        case
            when in_sales.termination_date is not null and in_sales.termination_date < as_of.as_of_date
                then in_sales.termination_date
            else as_of.as_of_date
        end as tenure_end
    from in_sales
    cross join as_of
)

select
    in_sales.employee_number,
    in_sales.crm_user_id,
    cast(trim(concat_ws(' ', in_sales.first_name, in_sales.last_name)) as varchar) as name,
    in_sales.job_title as title,
    cast(nullif(trim(concat_ws(' ', managers.first_name, managers.last_name)), '') as varchar) as team,
    in_sales.supervisor_employee_number as manager_employee_number,
    in_sales.department,
    in_sales.hire_date,
    in_sales.termination_date,
    (
        coalesce(in_sales.employment_status, '') <> 'Terminated'
        and (in_sales.termination_date is null or in_sales.termination_date > as_of.as_of_date)
    ) as is_active,
    {#- Whole months completed from the hire date to the as-of date (or the
        termination date, if earlier). -#}
    cast(greatest(0,
        (year(tenure.tenure_end) - year(in_sales.hire_date)) * 12
        + month(tenure.tenure_end) - month(in_sales.hire_date)
        - case when day(tenure.tenure_end) < day(in_sales.hire_date) then 1 else 0 end
    ) as integer) as tenure_months
from in_sales
cross join as_of
inner join tenure on tenure.employee_number = in_sales.employee_number
left join employees as managers on managers.employee_number = in_sales.supervisor_employee_number
