"""The pipeline figures of kpi_monthly and rpt_forecast_by_close_month, against plain Python from the exports.

Everything expected here is computed from the export files alone (deliveries
applied in folder order, records upserted by id), following marts.md:
- the state of a deal at the end of a day is its latest OpportunityHistory row
  created on or before that day (UTC); open = not in a closed stage of the
  stage map; weighted amount = amount × probability / 100, to the cent;
- a deal deleted in the CRM leaves the pipeline on the date of the delivery
  that deleted it (CHANGELOG, "Readings of the contracts");
- a month is measured on its last day, or on the as-of date for the current one.
Company scope; the scoping itself is tested in test_end_to_end.
"""

import calendar
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from tests.conftest import as_of_date, deliveries, employees, months_between, published, read_csv, upserted

CLOSED_STAGES = {"Closed Won", "Closed Lost"}  # the default stage map (dbt_project.yml vars)
FORECAST_CATEGORY = {"Pipeline": "Pipeline", "BestCase": "Best Case", "Forecast": "Commit", "Omitted": "Omitted"}


def day_of(timestamp: str) -> dt.date:
    return dt.date.fromisoformat(timestamp[:10])


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def quarter_start(day: dt.date) -> dt.date:
    """Fiscal quarters with the default fiscal year (starting in January)."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


class Pipeline:
    """Each deal's history and deletion date, and its state at the end of any day."""

    def __init__(self, exports: Path):
        history = upserted(exports, "crm", "OpportunityHistory.csv", "Id")
        self.changes: dict[str, list[dict]] = defaultdict(list)
        for row in sorted(history.values(), key=lambda row: (row["CreatedDate"], row["Id"])):
            if row["IsDeleted"] != "true":
                self.changes[row["OpportunityId"]].append(row)
        self.deleted_on: dict[str, dt.date] = {}
        for delivery in deliveries(exports, "crm"):
            for row in read_csv(delivery / "Opportunity.csv"):
                if row["IsDeleted"] == "true":
                    self.deleted_on.setdefault(row["Id"], dt.date.fromisoformat(delivery.name[:10]))
                else:
                    self.deleted_on.pop(row["Id"], None)  # restored

    def open_on(self, day: dt.date) -> dict[str, dict]:
        """Open deals at the end of ``day``: stage, amount, weighted amount, forecast category, close date."""
        deals = {}
        for opportunity, rows in self.changes.items():
            if opportunity in self.deleted_on and day >= self.deleted_on[opportunity]:
                continue
            known = [row for row in rows if day_of(row["CreatedDate"]) <= day]
            if not known or known[-1]["StageName"] in CLOSED_STAGES:
                continue
            state = known[-1]
            amount = Decimal(state["Amount"]) if state["Amount"] else None
            weighted = None
            if amount is not None:
                weighted = (amount * Decimal(state["Probability"]) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            deals[opportunity] = {
                "amount": amount,
                "weighted": weighted,
                "category": FORECAST_CATEGORY[state["ForecastCategory"]],
                "close_date": dt.date.fromisoformat(state["CloseDate"]),
            }
        return deals


def total(deals, field: str) -> Decimal:
    return sum((deal[field] for deal in deals if deal[field] is not None), Decimal(0))


def full_quota_by_person_month(exports: Path) -> dict[tuple[str, dt.date], Fraction]:
    """quotas.csv after every delivery (upserted by person and period), spread to months: a quarter's
    quota a third each month (fiscal year starting in January), a month's as it is."""
    quotas: dict[tuple[str, str], Decimal] = {}
    for delivery in deliveries(exports, "planning"):
        if (delivery / "quotas.csv").exists():
            for row in read_csv(delivery / "quotas.csv"):
                quotas[(row["employee_number"].strip(), row["period"])] = Decimal(row["quota_amount"])
    monthly: dict[tuple[str, dt.date], Fraction] = defaultdict(Fraction)
    for (person, period), amount in quotas.items():
        if period.startswith("FY"):
            first = dt.date(int(period[2:6]), 3 * (int(period[-1]) - 1) + 1, 1)
            for offset in range(3):
                monthly[(person, add_months(first, offset))] += Fraction(amount) / 3
        else:
            monthly[(person, dt.date.fromisoformat(period + "-01"))] += Fraction(amount)
    return monthly


def effective_quota_by_month(exports: Path) -> dict[dt.date, Fraction]:
    """Σ over people of full monthly quota × ramp factor × share of the month employed (commissions.md),
    every month of quotas.csv; the ramp is that of the plan assigned in the month (the assignment starting
    last), none without an assignment; assignment dates do not reduce it (marts.md, pipeline_coverage)."""
    latest_plans = [d / "comp_plans.yaml" for d in deliveries(exports, "planning") if (d / "comp_plans.yaml").exists()]
    document = yaml.safe_load(latest_plans[-1].read_text(encoding="utf-8"))
    ramps = {plan["id"]: plan.get("ramp") or [] for plan in document["plans"]}
    assignments = defaultdict(list)
    for assignment in document["assignments"]:
        assignments[str(assignment["employee_number"])].append(assignment)
    people = employees(exports)

    effective: dict[dt.date, Fraction] = defaultdict(Fraction)
    for (person, month), quota in full_quota_by_person_month(exports).items():
        record = people.get(person)
        hired = dt.date.fromisoformat(record["Hire Date"]) if record and record["Hire Date"] else None
        if hired is None or month < hired.replace(day=1):
            continue
        left = dt.date.fromisoformat(record["Termination Date"]) if record["Termination Date"] else None
        active = [
            a for a in assignments[person] if a["start"] <= month_end(month) and (a["end"] is None or a["end"] >= month)
        ]
        ramp = ramps[max(active, key=lambda a: (a["start"], a["plan"]))["plan"]] if active else []
        tenure = (month.year - hired.year) * 12 + month.month - hired.month
        factor = Fraction(str(ramp[tenure])) if tenure < len(ramp) else Fraction(1)
        first_day, last_day = max(month, hired), min(month_end(month), left or month_end(month))
        days = max(0, (last_day - first_day).days + 1)
        effective[month] += quota * factor * Fraction(days, month_end(month).day)
    return effective


@pytest.fixture(scope="module")
def expected(pipeline) -> dict:
    exports, _ = pipeline
    as_of = as_of_date(exports)
    history = Pipeline(exports)
    opportunities = {
        key: row for key, row in upserted(exports, "crm", "Opportunity.csv", "Id").items() if row["IsDeleted"] != "true"
    }
    first = min(day_of(row["CreatedDate"]) for row in opportunities.values())
    closed_by_month = defaultdict(list)
    for row in opportunities.values():
        if row["IsClosed"] == "true":
            closed_by_month[dt.date.fromisoformat(row["CloseDate"]).replace(day=1)].append(row)
    quota = effective_quota_by_month(exports)

    figures = {}
    for month in months_between(first, as_of):
        open_deals = history.open_on(min(month_end(month), as_of))
        deals = list(open_deals.values())
        next_quarter = add_months(quarter_start(month), 3)
        next_quarter_quota = sum(quota.get(add_months(next_quarter, offset), Fraction(0)) for offset in range(3))
        closing_next_quarter = [deal for deal in deals if quarter_start(deal["close_date"]) == next_quarter]

        trailing = [row for offset in range(3) for row in closed_by_month[add_months(month, -offset)]]
        won = [row for row in trailing if row["IsWon"] == "true"]
        lost = len(trailing) - len(won)
        bookings = sum(Decimal(row["Amount"] or 0) for row in won)
        cycle_days = sum((dt.date.fromisoformat(row["CloseDate"]) - day_of(row["CreatedDate"])).days for row in won)
        velocity = None
        if won and cycle_days:
            velocity = (
                len(deals) * (float(bookings) / len(won)) * (len(won) / (len(won) + lost)) / (cycle_days / len(won))
            )

        month_won = [row for row in closed_by_month[month] if row["IsWon"] == "true"]
        month_bookings = sum(Decimal(row["Amount"] or 0) for row in month_won)
        committed = total(
            [
                deal
                for deal in history.open_on(month).values()
                if deal["category"] == "Commit" and deal["close_date"].replace(day=1) == month
            ],
            "amount",
        )
        figures[month] = {
            "open_pipeline": float(total(deals, "amount")),
            "weighted_pipeline": float(total(deals, "weighted")),
            "pipeline_coverage": float(Fraction(total(closing_next_quarter, "amount")) / next_quarter_quota)
            if next_quarter_quota
            else None,
            "sales_velocity": velocity,
            "forecast_accuracy": float(1 - abs(committed - month_bookings) / month_bookings)
            if month_bookings
            else None,
        }
    return {"as_of": as_of, "months": figures, "history": history}


@pytest.mark.parametrize(
    "kpi", ["open_pipeline", "weighted_pipeline", "pipeline_coverage", "sales_velocity", "forecast_accuracy"]
)
def test_company_pipeline_kpi_matches_the_exports_every_month(pipeline, expected, kpi):
    _, data_dir = pipeline
    actual = dict(
        published(
            data_dir,
            f"select month, value from marts.kpi_monthly where scope_type = 'company' and kpi = '{kpi}'",
        )
    )
    assert set(actual) == set(expected["months"])
    for month, figures in expected["months"].items():
        wanted = figures[kpi]
        assert actual[month] == (pytest.approx(wanted, rel=1e-9) if wanted is not None else None), (kpi, month)
    # The data exercises the KPI: it has a value in most months.
    assert sum(value is not None and value != 0 for value in actual.values()) > len(actual) // 2, kpi


def test_coverage_uses_the_effective_quota_of_ramping_hires(pipeline, expected):
    """Somewhere in the demo a ramping hire or a leaver makes next quarter's effective quota differ from
    the full one, so the test above really checks the effective denominator."""
    exports, _ = pipeline
    effective = effective_quota_by_month(exports)
    full: dict[dt.date, Fraction] = defaultdict(Fraction)
    for (_, month), quota in full_quota_by_person_month(exports).items():
        full[month] += quota
    assert any(abs(float(effective[month]) - float(full[month])) > 1 for month in full)


def test_forecast_by_close_month_matches_the_exports_at_every_month_end(pipeline, expected):
    _, data_dir = pipeline
    history, as_of = expected["history"], expected["as_of"]
    days = sorted({min(month_end(month), as_of) for month in expected["months"]} | {as_of - dt.timedelta(days=1)})
    rows = published(
        data_dir,
        "select snapshot_date, close_month, commit_amount, best_case_amount, pipeline_amount, open_amount, "
        "weighted_amount, open_deals from marts.rpt_forecast_by_close_month",
    )
    actual = {(row[0], row[1]): row[2:] for row in rows}
    checked = 0
    for day in days:
        by_close_month = defaultdict(list)
        for deal in history.open_on(day).values():
            by_close_month[deal["close_date"].replace(day=1)].append(deal)
        found = {close_month: figures for (snapshot, close_month), figures in actual.items() if snapshot == day}
        assert set(found) == set(by_close_month), day
        for close_month, deals in by_close_month.items():
            categories = {
                category: [d for d in deals if d["category"] == category]
                for category in ("Commit", "Best Case", "Pipeline")
            }
            assert found[close_month] == (
                total(categories["Commit"], "amount"),
                total(categories["Best Case"], "amount"),
                total(categories["Pipeline"], "amount"),
                total(deals, "amount"),
                total(deals, "weighted"),
                len(deals),
            ), (day, close_month)
            checked += 1
    assert checked > 50
