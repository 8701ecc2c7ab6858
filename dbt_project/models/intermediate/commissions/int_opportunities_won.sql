{#- Won deals that count for pay: Closed Won, not deleted, closed on or before the as-of date. -#}
select opportunities.*
from {{ ref('stg_crm__opportunities') }} as opportunities
cross join {{ ref('int_run_as_of') }} as as_of
where opportunities.is_won
    and not opportunities.is_deleted
    and opportunities.close_date <= as_of.as_of_date
