{#- Every line that makes a statement's earnings: commission pieces, SPIFFs, clawbacks. -#}
{%- set line_columns = 'employee_number, plan_id, period_start, line_type, opportunity_id, close_date, '
                       ~ 'credited_amount, band_from, band_to, rate, amount' %}
select {{ line_columns }} from {{ ref('int_commission_pieces_banded') }}
union all
select {{ line_columns }} from {{ ref('int_spiffs_awarded') }}
union all
select {{ line_columns }} from {{ ref('int_clawbacks_reversed') }}
