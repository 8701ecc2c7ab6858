"""How a report prints a figure, the same in the HTML, the PDF and the email body."""

from __future__ import annotations

from decimal import Decimal

from publishing.reports.data import PERCENT_KPIS

MISSING = "–"


def money(value) -> str:
    if value is None:
        return MISSING
    return f"{Decimal(value):,.2f}"


def percent(value) -> str:
    if value is None:
        return MISSING
    return f"{Decimal(value) * 100:,.1f} %"


def ratio(value) -> str:
    """Coverage and other multiples: 1.85×."""
    if value is None:
        return MISSING
    return f"{float(value):,.2f}×"


def kpi(value, name: str) -> str:
    if value is None:
        return MISSING
    if name in PERCENT_KPIS:
        return f"{value * 100:.0f} %"
    if name == "sales_cycle_days":
        return f"{value:.0f}"
    return f"{value:,.0f}"
