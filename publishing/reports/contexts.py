"""What each report shows: plain-data contexts built from ``ReportData``, one per report.

Scope is applied here and only here. A team context is built from the
recipient's reporting line (themselves and everyone below them, any depth);
rows about anyone else never enter it. The company context is the whole
hierarchy. A statement context holds one person's pay.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from publishing.reports.data import (
    FORECAST_CATEGORIES,
    KPI_TITLES,
    PERCENT_KPIS,
    STATEMENT_FIGURES,
    TOP_OPEN_DEALS,
    TREND_KPIS,
    WATERFALL_MOVEMENTS,
    ReportData,
    attainment,
)

ZERO = Decimal("0.00")
UNASSIGNED_HEAD = {"employee_number": "unassigned", "name": "Head of sales (not set)", "title": None}


def attainment_band(value: Decimal | None) -> str:
    """The colour band of an attainment: green from 100 %, amber from 70 %, red below."""
    if value is None:
        return "none"
    if value >= 1:
        return "green"
    if value >= Decimal("0.7"):
        return "amber"
    return "red"


def _person(data: ReportData, number: str | None) -> dict:
    person = data.hierarchy.people.get(number) if number else None
    if person is None:
        return {"employee_number": number, "name": "(not in HR sales)", "title": None}
    return {"employee_number": person.employee_number, "name": person.name, "title": person.title}


def footer(data: ReportData, checks: dict | None) -> dict:
    latest: dict[str, list[str]] = {}
    for source, delivery in data.deliveries:
        latest.setdefault(source, []).append(delivery)
    return {
        "as_of": data.as_of,
        "deliveries": [
            {"source": source, "latest": max(ids), "count": len(ids)} for source, ids in sorted(latest.items())
        ],
        "checks": checks,
    }


def _period(data: ReportData) -> dict:
    return {
        "quarter_label": data.calendar.quarter_label(data.quarter_start),
        "quarter_start": data.quarter_start,
        "quarter_end": data.quarter_end,
        "next_quarter_label": data.calendar.quarter_label(data.next_quarter_start),
        "month": data.month,
        "as_of": data.as_of,
    }


def _attainment_rows(data: ReportData, members: list[tuple[str, int]]) -> list[dict]:
    rows = []
    for number, depth in members:
        figures = data.quarter_attainment.get(number)
        if figures is None:
            continue
        value = attainment(figures["credited_bookings"], figures["effective_quota"])
        rows.append(
            {
                **_person(data, number),
                "depth": depth,
                "full_quota": figures["full_quota"],
                "effective_quota": figures["effective_quota"],
                "credited_bookings": figures["credited_bookings"],
                "attainment": value,
                "band": attainment_band(value),
            }
        )
    return rows


def _team_rollups(data: ReportData, managers: list[tuple[str, int]]) -> list[dict]:
    rows = []
    for number, depth in managers:
        team = data.team_attainment.get(number)
        if team is None:
            continue
        rows.append(
            {
                **_person(data, number),
                "depth": depth,
                "people_with_statements": team["people_with_statements"],
                "effective_quota": team["effective_quota"],
                "credited_bookings": team["credited_bookings"],
                "attainment": team["attainment"],
                "band": attainment_band(team["attainment"]),
            }
        )
    return rows


def _waterfall(data: ReportData, owners: set[str] | None) -> list[dict]:
    if owners is None:
        return [{column: row[column] for column in ("month", *WATERFALL_MOVEMENTS)} for row in data.company_waterfall]
    months: dict[dt.date, dict] = {}
    for row in data.owned_by("waterfall", owners):
        month = months.setdefault(row["month"], {"month": row["month"], **dict.fromkeys(WATERFALL_MOVEMENTS, ZERO)})
        for column in WATERFALL_MOVEMENTS:
            month[column] += row[column]
    # Months in which the team had no pipeline closing in the quarter show as zeros.
    for row in data.company_waterfall:
        months.setdefault(row["month"], {"month": row["month"], **dict.fromkeys(WATERFALL_MOVEMENTS, ZERO)})
    return [months[month] for month in sorted(months)]


def _forecast(data: ReportData, owners: set[str] | None, won: Decimal, quota: Decimal) -> dict:
    amounts = dict.fromkeys(FORECAST_CATEGORIES, ZERO)
    deals = dict.fromkeys(FORECAST_CATEGORIES, 0)
    for row in data.owned_by("forecast", owners):
        if row["forecast_category"] in amounts:
            amounts[row["forecast_category"]] += row["amount"] or ZERO
            deals[row["forecast_category"]] += row["deals"]
    return {
        "credited_so_far": won,
        "effective_quota": quota,
        "attainment": attainment(won, quota),
        "categories": [
            {"category": category, "amount": amounts[category], "deals": deals[category]}
            for category in FORECAST_CATEGORIES
        ],
    }


def _deals(data: ReportData, rows: str, owners: set[str] | None, limit: int | None = None) -> list[dict]:
    selected = data.owned_by(rows, owners)
    return [{**row, "owner": _person(data, row["owner_employee_number"])["name"]} for row in selected[:limit]]


def _trends(data: ReportData, scope: tuple[str, str | None], compare_with_company: bool) -> list[dict]:
    trends = []
    for kpi in TREND_KPIS:
        series = {scope[0]: [data.kpi_value(scope, kpi, month) for month in data.trend_months]}
        if compare_with_company:
            series["company"] = [data.kpi_value(("company", None), kpi, month) for month in data.trend_months]
        trends.append({"kpi": kpi, "title": KPI_TITLES[kpi], "percent": kpi in PERCENT_KPIS, "series": series})
    return trends


def _statement_summaries(data: ReportData, members: list[tuple[str, int]]) -> list[dict]:
    rows = []
    for number, depth in members:
        for statement in data.current_and_last_closed(number):
            if statement["period_start"] <= data.as_of <= statement["period_end"]:
                rows.append(
                    {
                        **_person(data, number),
                        "depth": depth,
                        "plan_id": statement["plan_id"],
                        "period_start": statement["period_start"],
                        "period_end": statement["period_end"],
                        "attainment": statement["attainment"],
                        "band": attainment_band(statement["attainment"]),
                        **{figure: statement[figure] for figure in STATEMENT_FIGURES},
                    }
                )
    return rows


def _company_line(data: ReportData, head: str | None) -> list[tuple[str, int]]:
    """Everyone in sales: the head's line first (the head at depth 0), then any other top and their line."""
    hierarchy = data.hierarchy
    line = [(head, 0), *hierarchy.line_below(head)] if head else []
    for root in hierarchy.roots:
        if root != head:
            line += [(root, 1), *((number, depth + 1) for number, depth in hierarchy.line_below(root))]
    return line


def team_context(data: ReportData, manager: str | None, checks: dict | None, company: bool = False) -> dict:
    """A manager's report on their whole reporting line; with ``company``, on the whole company.

    The company report's ``manager`` is the head of sales, or None while nobody is (its header then names no one).
    """
    hierarchy = data.hierarchy
    if company:
        line = _company_line(data, manager)
        owners, scope = None, ("company", None)
        quarter = list(data.quarter_attainment.values())
        won = sum((row["credited_bookings"] for row in quarter), ZERO)
        quota = sum((row["effective_quota"] for row in quarter), ZERO)
    else:
        line = [(manager, 0), *hierarchy.line_below(manager)]
        owners, scope = {number for number, _ in line}, ("team", manager)
        team = data.team_attainment.get(manager) or {"credited_bookings": ZERO, "effective_quota": ZERO}
        won, quota = team["credited_bookings"], team["effective_quota"]
    below = [(number, depth) for number, depth in line if depth > 0]
    return {
        "kind": "company" if company else "manager",
        "recipient": _person(data, manager) if manager else UNASSIGNED_HEAD,
        "period": _period(data),
        "footer": footer(data, checks),
        "roster": [_roster_row(data, number, depth) for number, depth in below],
        "attainment": _attainment_rows(data, line),
        "team_rollups": _team_rollups(data, [(n, d) for n, d in line if n in hierarchy.direct_reports]),
        "coverage": data.kpi_value(scope, "pipeline_coverage", data.month),
        "waterfall": _waterfall(data, owners),
        "forecast": _forecast(data, owners, won, quota),
        "slipped_deals": _deals(data, "slipped", owners),
        "stale_deals": _deals(data, "stale", owners),
        "stale_deal_days": data.stale_deal_days,
        "top_deals": _deals(data, "open", owners, TOP_OPEN_DEALS),
        "trend_months": data.trend_months,
        "trends": _trends(data, scope, compare_with_company=not company),
        "statements": _statement_summaries(data, below),
    }


def _roster_row(data: ReportData, number: str, depth: int) -> dict:
    person = data.hierarchy.people[number]
    return {
        **_person(data, number),
        "depth": depth,
        "manager": data.hierarchy.people[person.manager_employee_number].name
        if person.manager_employee_number in data.hierarchy.people
        else None,
        "hire_date": person.hire_date,
        "termination_date": person.termination_date,
        "is_active": person.is_active,
    }


def statement_context(data: ReportData, employee_number: str, checks: dict | None) -> dict:
    """One person's statements: the plan period holding the as-of date and the last closed one."""
    statements = []
    for statement in data.current_and_last_closed(employee_number):
        lines = data.statement_lines(statement)
        statements.append(
            {
                "label": "Current period" if statement["period_end"] >= data.as_of else "Last closed period",
                "plan_id": statement["plan_id"],
                "period_start": statement["period_start"],
                "period_end": statement["period_end"],
                "is_assigned": statement["is_assigned"],
                "attainment": statement["attainment"],
                "band": attainment_band(statement["attainment"]),
                **{figure: statement[figure] for figure in STATEMENT_FIGURES},
                "lines": {
                    line_type: [line for line in lines if line["line_type"] == line_type]
                    for line_type in ("commission", "uncredited", "spiff", "clawback", "draw")
                },
                "year_to_date": data.year_to_date(employee_number, statement),
            }
        )
    return {
        "kind": "statement",
        "recipient": _person(data, employee_number),
        "period": _period(data),
        "footer": footer(data, checks),
        "statements": statements,
    }
