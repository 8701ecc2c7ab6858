{#- Money: exact, in decimal(18, 2), rounded half-up where it must be rounded. -#}

{#- Stripe writes money as integers in the minor unit (cents). Multiplying
    decimals is exact where dividing would go through a double. -#}
{% macro cents_to_dollars(column) -%}
    cast(cast({{ column }} as decimal(18, 0)) * cast(0.01 as decimal(3, 2)) as decimal(18, 2))
{%- endmacro %}

{#- An exact non-negative amount of cents given as the fraction numerator /
    denominator (integers), rounded half-up to a whole cent, in dollars:
    half-up of n / d is (2n + d) // (2d). -#}
{% macro cents_half_up(numerator, denominator) -%}
    {{ cents_to_dollars('(2 * (' ~ numerator ~ ') + (' ~ denominator ~ ')) // (2 * (' ~ denominator ~ '))') }}
{%- endmacro %}

{#- Salesforce-style money and ratios arrive as decimal(20,4) in the raw layer. -#}
{% macro money(column) -%}
    cast({{ column }} as decimal(18, 2))
{%- endmacro %}
