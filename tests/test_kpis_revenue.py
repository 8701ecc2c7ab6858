"""Revenue and people KPIs (int_kpis_revenue_computed, int_kpis_people_computed) on generated exports.

The company-scope revenue, MRR and NPS of every KPI month are checked against
figures computed here in plain Python from the export files (deliveries applied
in folder order, records upserted by id, epoch seconds as UTC, cents as exact
integers), never from the models. Definitions: the models' YAML
(dbt_project/models/intermediate/kpis/_kpis_revenue_people__models.yml) and
marts.md, kpi_monthly. The KPI models are intermediate: they are read from the
build database, as kpi_monthly unions them.
"""

import calendar
import datetime as dt
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from tests.conftest import as_of_date, employees, months_between, upserted

INTERVALS_A_YEAR = {"month": 12, "year": 1, "week": 52, "day": 365}
CENT = 0.005  # a double holding a sum of cents is within half a cent of it

REVENUE_KPIS = {
    "revenue",
    "revenue_growth",
    "revenue_per_account",
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "logo_churn_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "clv",
    "nps",
}
PAY_KPIS = {"cac", "profit_margin"}
PEOPLE_KPIS = {"rep_ramp_days", "quota_attainment_rate", "candidates_in_pipeline", "offers_accepted"}


def utc(epoch: str) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else None


def month_of(moment: dt.date | dt.datetime) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def expected_revenue(exports: Path) -> dict[dt.date, int]:
    """Cents by month: amount_paid of invoices by paid_at month − succeeded refunds by created month."""
    cents: dict[dt.date, int] = defaultdict(int)
    for invoice in upserted(exports, "billing", "invoices.csv", "id").values():
        paid_at = utc(invoice["status_transitions.paid_at"])
        if paid_at is not None:
            cents[month_of(paid_at)] += int(invoice["amount_paid"])
    for refund in upserted(exports, "billing", "refunds.csv", "id").values():
        if refund["status"] == "succeeded":
            cents[month_of(utc(refund["created"]))] -= int(refund["amount"])
    return dict(cents)


def expected_mrr(exports: Path, months: list[dt.date]) -> dict[dt.date, int]:
    """Company MRR in cents by month: each customer's exact monthly sum of live items, rounded half-up once."""
    subscriptions = upserted(exports, "billing", "subscriptions.csv", "id")
    exact: dict[tuple[str, dt.date], Fraction] = defaultdict(Fraction)
    for item in upserted(exports, "billing", "subscription_items.csv", "id").values():
        subscription = subscriptions[item["subscription"]]
        start = utc(subscription["start_date"]).date()
        stops = [
            moment.date() for moment in (utc(subscription["canceled_at"]), utc(subscription["ended_at"])) if moment
        ]
        stop = min(stops) if stops else None
        monthly = Fraction(
            int(item["price.unit_amount"]) * int(item["quantity"]) * INTERVALS_A_YEAR[item["price.recurring.interval"]],
            12 * int(item["price.recurring.interval_count"]),
        )
        for month in months:
            end = last_day(month)
            if start <= end and (stop is None or stop > end):
                exact[subscription["customer"], month] += monthly
    totals: dict[dt.date, int] = defaultdict(int)
    for (_, month), value in exact.items():
        totals[month] += int(value + Fraction(1, 2))  # half-up to whole cents per customer-month
    return dict(totals)


def expected_nps(exports: Path) -> dict[dt.date, float]:
    """100 × (promoters − detractors) / responses by the UTC month of submitted_at."""
    scores: dict[dt.date, list[int]] = defaultdict(list)
    for response in upserted(exports, "surveys", "nps_responses.csv", key="response_id").values():
        if response["score"] == "":
            continue
        submitted = dt.datetime.fromisoformat(response["submitted_at"].replace("Z", "+00:00"))
        if submitted.tzinfo is not None:
            submitted = submitted.astimezone(dt.UTC)
        scores[month_of(submitted)].append(int(response["score"]))
    return {
        month: 100 * (sum(score >= 9 for score in values) - sum(score <= 6 for score in values)) / len(values)
        for month, values in scores.items()
    }


def expected_candidates(exports: Path, months: list[dt.date]) -> dict[dt.date, tuple[int, int]]:
    """(candidates in pipeline at the month's end, hired in the month) from candidates.csv."""
    candidates = upserted(exports, "hr", "candidates.csv", key="Candidate ID").values()
    day = lambda text: dt.date.fromisoformat(text[:10]) if text else None  # noqa: E731
    counts = {}
    for month in months:
        end = last_day(month)
        in_pipeline = hired = 0
        for candidate in candidates:
            applied, hired_on, rejected_on = (
                day(candidate[field]) for field in ("Applied Date", "Hired Date", "Rejected Date")
            )
            closed = [date for date in (hired_on, rejected_on) if date]
            closed_on = (
                min(closed) if closed else (applied if candidate["Current Stage"] in ("Hired", "Rejected") else None)
            )
            if applied and applied <= end and (closed_on is None or closed_on > end):
                in_pipeline += 1
            if hired_on and month <= hired_on <= end:
                hired += 1
        counts[month] = (in_pipeline, hired)
    return counts


def built(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse" / "build.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def kpi_rows(data_dir: Path, model: str) -> list[tuple]:
    """The published kpi_monthly rows of the KPIs that one intermediate model computes."""
    return built(
        data_dir,
        f"""
        select month, scope_type, scope_id, kpi, value from marts.kpi_monthly
        where kpi in (select distinct kpi from intermediate.{model})""",
    )


def company(rows: list[tuple], kpi: str) -> dict[dt.date, float | None]:
    return {month: value for month, scope_type, _, name, value in rows if scope_type == "company" and name == kpi}


def test_company_revenue_matches_the_billing_exports_every_month(pipeline):
    exports, data_dir = pipeline
    expected = expected_revenue(exports)
    actual = company(kpi_rows(data_dir, "int_kpis_revenue_computed"), "revenue")
    assert max(actual) == month_of(as_of_date(exports))  # KPI months run through the as-of month
    assert {month for month, cents in expected.items() if cents} <= set(actual)  # every month with money is a KPI month
    wrong = {
        month: (value, expected.get(month, 0) / 100)
        for month, value in actual.items()
        if abs(value - expected.get(month, 0) / 100) > CENT
    }
    assert not wrong, sorted(wrong.items())[:5]

    # The data really exercises the rule: refunds succeeded (and one failed) in months with paid invoices.
    refunds = upserted(exports, "billing", "refunds.csv", "id").values()
    assert any(refund["status"] == "succeeded" for refund in refunds)
    assert any(refund["status"] != "succeeded" for refund in refunds)

    growth = company(kpi_rows(data_dir, "int_kpis_revenue_computed"), "revenue_growth")
    for month, value in growth.items():
        prior = expected.get(month_of(month - dt.timedelta(days=1)), 0)
        if prior == 0:
            assert value is None, month
        else:
            assert value == pytest.approx(expected.get(month, 0) / prior - 1, rel=1e-9), month


def test_company_mrr_matches_the_billing_exports_every_month(pipeline):
    exports, data_dir = pipeline
    actual = company(kpi_rows(data_dir, "int_kpis_revenue_computed"), "mrr")
    expected = expected_mrr(exports, sorted(actual))
    wrong = {
        month: (value, expected.get(month, 0) / 100)
        for month, value in actual.items()
        if abs(value - expected.get(month, 0) / 100) > CENT
    }
    assert not wrong, sorted(wrong.items())[:5]
    assert sum(1 for value in actual.values() if value > 0) >= 12  # a year and more of MRR: NRR / GRR have cohorts
    assert any(
        value is not None
        for value in company(kpi_rows(data_dir, "int_kpis_revenue_computed"), "net_revenue_retention").values()
    )


def test_company_nps_matches_the_survey_export_every_month(pipeline):
    exports, data_dir = pipeline
    expected = expected_nps(exports)
    actual = company(kpi_rows(data_dir, "int_kpis_revenue_computed"), "nps")
    assert set(expected) <= set(actual)
    for month, value in actual.items():
        if month in expected:
            assert value == pytest.approx(expected[month], abs=1e-9), month
        else:
            assert value is None, month  # no responses: no denominator
    assert any(value is None for value in actual.values()) and len(expected) > 3


def test_mrr_movements_bridge_every_month_in_every_scope(pipeline):
    """mrr(M) = mrr(M−1) + new + expansion − contraction − churned + reactivation, mrr before the first month 0."""
    _, data_dir = pipeline
    values: dict[tuple, dict[str, float]] = defaultdict(dict)
    for month, scope_type, scope_id, kpi, value in kpi_rows(data_dir, "int_kpis_revenue_computed"):
        values[scope_type, scope_id, month][kpi] = value
    by_scope: dict[tuple, list[dt.date]] = defaultdict(list)
    for scope_type, scope_id, month in values:
        by_scope[scope_type, scope_id].append(month)
    moved = defaultdict(float)
    for (scope_type, scope_id), months in by_scope.items():
        previous = 0.0
        for month in sorted(months):
            kpis = values[scope_type, scope_id, month]
            bridged = (
                previous
                + kpis["new_mrr"]
                + kpis["expansion_mrr"]
                - kpis["contraction_mrr"]
                - kpis["churned_mrr"]
                + kpis["reactivation_mrr"]
            )
            assert abs(kpis["mrr"] - bridged) < CENT, (scope_type, scope_id, month, kpis)
            for movement in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"):
                assert kpis[movement] >= 0, (scope_type, scope_id, month, movement)
                moved[movement] += kpis[movement]
            previous = kpis["mrr"]
    assert all(total > 0 for total in moved.values()), moved  # every movement happens in the demo data


def test_people_kpis_candidates_match_the_ats_export(pipeline):
    exports, data_dir = pipeline
    rows = kpi_rows(data_dir, "int_kpis_people_computed")
    in_pipeline, offers = company(rows, "candidates_in_pipeline"), company(rows, "offers_accepted")
    expected = expected_candidates(exports, sorted(in_pipeline))
    assert {month: (in_pipeline[month], offers[month]) for month in expected} == expected
    assert sum(offers.values()) > 0 and max(in_pipeline.values()) > 0


def kpi_months(exports: Path) -> list[dt.date]:
    """kpi_monthly's months (marts.md): from the first month with an opportunity created or a subscription
    started through the as-of month."""
    created = [
        dt.date.fromisoformat(row["CreatedDate"][:10])
        for row in upserted(exports, "crm", "Opportunity.csv", "Id").values()
    ]
    started = [
        utc(row["start_date"]).date() for row in upserted(exports, "billing", "subscriptions.csv", "id").values()
    ]
    return months_between(min(created + started), as_of_date(exports))


def test_kpi_models_have_the_long_columns_and_documented_scopes(pipeline):
    exports, data_dir = pipeline
    people = employees(exports)
    # A team is anyone in HR with someone reporting to them; a rep anyone in sales: an HR employee of a
    # sales department, or one a CRM user names (User.EmployeeNumber).
    teams = {row["Supervisor EID"] for row in people.values() if row["Supervisor EID"] in people}
    crm_people = {row["EmployeeNumber"] for row in upserted(exports, "crm", "User.csv", "Id").values()}
    reps = {number for number, row in people.items() if row["Department"] == "Sales" or number in crm_people}
    months = kpi_months(exports)
    assert len(teams) > 3 and len(reps) > 10 and len(months) > 12
    for model, expected_keys in (
        (
            "int_kpis_revenue_computed",
            {(kpi, "company", None) for kpi in REVENUE_KPIS | PAY_KPIS}
            | {(kpi, "team", team) for kpi in REVENUE_KPIS for team in teams}
            | {(kpi, "rep", rep) for kpi in REVENUE_KPIS for rep in reps},
        ),
        (
            "int_kpis_people_computed",
            {(kpi, "company", None) for kpi in PEOPLE_KPIS}
            | {(kpi, "team", team) for kpi in ("rep_ramp_days", "quota_attainment_rate") for team in teams},
        ),
    ):
        columns = [(name, kind) for name, kind, *_ in built(data_dir, f"describe intermediate.{model}")]
        assert columns == [
            ("month", "DATE"),
            ("scope_type", "VARCHAR"),
            ("scope_id", "VARCHAR"),
            ("kpi", "VARCHAR"),
            ("value", "DOUBLE"),
        ], model
        rows = kpi_rows(data_dir, model)
        keys = [(month, kpi, scope_type, scope_id) for month, scope_type, scope_id, kpi, _ in rows]
        assert len(keys) == len(set(keys)), model
        # Every KPI month for every KPI in every documented scope, and nothing else: pay never per rep or team.
        assert set(keys) == {(month, *key) for month in months for key in expected_keys}, model
    pay_scopes = built(
        data_dir,
        """
        select distinct scope_type from intermediate.int_kpis_revenue_computed where kpi in ('cac', 'profit_margin')""",
    )
    assert pay_scopes == [("company",)]
