{#- Effective quota of a month, exactly (commissions.md, Quota):
    full monthly quota x ramp factor x share of the month employed.

    Each month's term is an integer numerator over one common denominator. The
    monthly quota is in thirds of a cent (int_quotas_spread_to_months), the ramp
    factor (six decimals in staging) in millionths, and the share employed is
    days / days-in-month, put over 377580 = lcm(28, 29, 30, 31). So a month
    contributes thirds x millionths x days x (377580 / days-in-month), and a sum
    of such terms in cents is numerator / effective_quota_denominator(). -#}
{% macro effective_quota_denominator() -%}
    {{ 3 * 1000000 * 377580 }}
{%- endmacro %}

{% macro effective_quota_numerator(quota_thirds_of_cents, ramp, hire_date, termination_date, month_start) -%}
    {{ quota_thirds_of_cents }}
    * {{ ramp_millionths(ramp, hire_date, month_start) }}
    * {{ days_employed(hire_date, termination_date, month_start) }}
    * (377580 // day(last_day({{ month_start }})))
{%- endmacro %}

{#- Tenure month 1 is the calendar month of the hire date; before it, 0; past the
    ramp list (or with no ramp at all), 1.0. -#}
{% macro ramp_millionths(ramp, hire_date, month_start) -%}
    case
        when {{ hire_date }} is null or {{ month_start }} < date_trunc('month', {{ hire_date }}) then 0
        else cast(coalesce(
            {{ ramp }}[cast(datediff('month', date_trunc('month', {{ hire_date }}), {{ month_start }}) as integer) + 1],
            1
        ) * 1000000 as hugeint)
    end
{%- endmacro %}

{#- Days employed in the month, hire through termination inclusive; no hire date, none. -#}
{% macro days_employed(hire_date, termination_date, month_start) -%}
    case
        when {{ hire_date }} is null then 0
        else greatest(0,
            datediff('day',
                greatest({{ month_start }}, {{ hire_date }}),
                least(last_day({{ month_start }}), coalesce({{ termination_date }}, last_day({{ month_start }})))
            ) + 1
        )
    end
{%- endmacro %}
