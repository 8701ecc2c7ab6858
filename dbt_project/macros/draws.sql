{#- payout, draw_paid and draw_balance of one statement given the balance carried
    in (commissions.md, Draws). `available` = earned - carried balance. A
    statement with no draw (a plan without one, or a statement that only holds a
    clawback after the assignment ended) pays what was earned and passes the
    carried balance on unchanged. -#}
{% macro draw_outcome(statement, carried_balance) -%}
    {%- set s = statement -%}
    {%- set available = '(' ~ s ~ '.earned - ' ~ carried_balance ~ ')' -%}
    cast(case
        when {{ s }}.draw_amount is null then {{ s }}.earned
        when not {{ s }}.draw_recoverable then greatest({{ s }}.earned, {{ s }}.draw_amount)
        when {{ available }} >= {{ s }}.draw_amount then {{ available }}
        else {{ s }}.draw_amount
    end as decimal(18, 2)) as payout,
    cast(case
        when {{ s }}.draw_amount is null then 0
        when not {{ s }}.draw_recoverable then case when {{ s }}.earned < {{ s }}.draw_amount then {{ s }}.draw_amount else 0 end
        when {{ available }} >= {{ s }}.draw_amount then 0
        else {{ s }}.draw_amount
    end as decimal(18, 2)) as draw_paid,
    cast(case
        when {{ s }}.draw_amount is null then {{ carried_balance }}
        when not {{ s }}.draw_recoverable then 0
        when {{ available }} >= {{ s }}.draw_amount then 0
        else {{ s }}.draw_amount - {{ available }}
    end as decimal(18, 2)) as draw_balance
{%- endmacro %}
