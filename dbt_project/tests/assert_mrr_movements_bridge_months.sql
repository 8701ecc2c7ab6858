{#- The MRR identity of fct_mrr_monthly, month by month from the first MRR month
    through the as-of month: Σ mrr at M = Σ mrr at M-1 + Σ (mrr - previous_mrr)
    of M's rows, and each row's previous_mrr is its customer's mrr at M-1 (0 when
    the customer had no row then). Returns the months where either fails. -#}
with mrr as (
    select * from {{ ref('fct_mrr_monthly') }}
),

months as (
    {{ month_spine('(select min(month) from mrr)', '(select as_of_date from ' ~ ref('int_run_as_of') ~ ')') }}
),

totals as (
    select
        months.month_start,
        coalesce(sum(mrr.mrr), 0) as total_mrr,
        coalesce(sum(mrr.mrr - mrr.previous_mrr), 0) as total_change,
        count(mrr.customer_id) as row_count
    from months
    left join mrr on mrr.month = months.month_start
    group by months.month_start
),

previous_mismatches as (
    select
        mrr.month as month_start,
        count(*) as mismatched_rows
    from mrr
    left join mrr as previous_month
        on previous_month.customer_id = mrr.customer_id
        and previous_month.month = cast(mrr.month - interval 1 month as date)
    where mrr.previous_mrr <> coalesce(previous_month.mrr, 0)
    group by mrr.month
),

bridged as (
    select
        totals.month_start,
        coalesce(lag(totals.total_mrr) over (order by totals.month_start), 0) as opening_mrr,
        totals.total_change,
        totals.total_mrr as closing_mrr,
        totals.row_count
    from totals
)

select
    bridged.*,
    coalesce(previous_mismatches.mismatched_rows, 0) as mismatched_previous_mrr_rows
from bridged
left join previous_mismatches on previous_mismatches.month_start = bridged.month_start
where bridged.closing_mrr <> bridged.opening_mrr + bridged.total_change
    or previous_mismatches.mismatched_rows > 0
