{#- Who owns each CRM account now: Account.OwnerId -> User.EmployeeNumber (the
    HR Employee #). The KPIs attribute a Stripe customer's revenue, MRR and NPS
    responses to the current owner of its Salesforce account
    (customers.csv metadata.salesforce_account_id); deleted accounts own
    nothing, so their customers count for the company only. -#}
select
    accounts.account_id,
    accounts.owner_user_id,
    users.employee_number as owner_employee_number
from {{ ref('stg_crm__accounts') }} as accounts
left join {{ ref('stg_crm__users') }} as users on users.user_id = accounts.owner_user_id
where not accounts.is_deleted
