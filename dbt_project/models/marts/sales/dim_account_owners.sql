{#- Who owns each CRM account now (int_accounts_owned): the person a
    customer's MRR, revenue and NPS count for in kpi_monthly, published for the
    semantic layer (models/semantic) and BI. -#}
select account_id, owner_user_id, owner_employee_number
from {{ ref('int_accounts_owned') }}
