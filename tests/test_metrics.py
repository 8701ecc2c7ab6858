"""The KPIs as dbt semantic-layer metrics (issue 13): asked for by name, each gives kpi_monthly's number.

Every metric of dbt_project/models/semantic/_metrics.yml is computed through
MetricFlow (salesops.metrics, on the published database opened read-only) by
month for the company, for every team and for every rep, and compared with:

- the same KPI in marts.kpi_monthly, an independent model (its own SQL over the
  intermediate models), for the metrics kpi_monthly holds; a metric's team is
  kpi_monthly's: a manager's whole reporting line, at any depth;
- plain SQL over the published marts otherwise (payout, commission earned, the
  counts behind the ratios), with teams walked up the HR export's Supervisor EID.

A (month, scope) MetricFlow has no row for is 0 for a sum and null for a ratio,
as kpi_monthly shows it. kpi_monthly's value is a DOUBLE computed from the same
exact sums, so the comparison is exact; only a figure this file derives from
kpi_monthly by arithmetic (a sum of cycle days = mean × count) allows for
floating-point rounding.
"""

import csv
import datetime as dt
import io
import math
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from salesops.metrics import MetricsError, MetricsSession, Query
from salesops.settings import load_settings
from tests.conftest import employees, published

LEVELS = range(1, 6)
# metric -> the entity path from its semantic model to the person it counts for.
OPPORTUNITY, SNAPSHOT, MRR, STATEMENT = "rep", "rep", "account__rep", "rep"
# The metrics that are kpi_monthly KPIs of the same name.
KPI_METRICS = {
    "bookings": OPPORTUNITY,
    "won_deals": OPPORTUNITY,
    "lost_deals": OPPORTUNITY,
    "win_rate": OPPORTUNITY,
    "avg_deal_size": OPPORTUNITY,
    "sales_cycle_days": OPPORTUNITY,
    "pipeline_created": OPPORTUNITY,
    "open_pipeline": SNAPSHOT,
    "weighted_pipeline": SNAPSHOT,
    "mrr": MRR,
    "new_mrr": MRR,
    "expansion_mrr": MRR,
    "contraction_mrr": MRR,
    "churned_mrr": MRR,
    "reactivation_mrr": MRR,
    "logo_churn_rate": MRR,
}
# The metrics kpi_monthly does not hold, each with plain SQL over the published marts giving
# (month, person, value) facts that add up over people (person null: the company only).
SQL_METRICS = {
    "payout": (
        STATEMENT,
        "select date_trunc('month', period_end), employee_number, payout from marts.fct_commission_statements",
    ),
    "commission_earned": (
        STATEMENT,
        "select date_trunc('month', period_end), employee_number, earned from marts.fct_commission_statements",
    ),
    "open_deals": (
        SNAPSHOT,
        "select date_trunc('month', snapshot_date), owner_employee_number, 1 from marts.fct_pipeline_snapshots "
        "where snapshot_date in (select max(snapshot_date) from marts.fct_pipeline_snapshots "
        "group by date_trunc('month', snapshot_date))",
    ),
    "paying_customers": (
        MRR,
        "select mrr.month, owners.owner_employee_number, 1 from marts.fct_mrr_monthly as mrr "
        "left join marts.dim_account_owners as owners using (account_id) where mrr.mrr > 0",
    ),
    "churned_customers": (
        MRR,
        "select mrr.month, owners.owner_employee_number, 1 from marts.fct_mrr_monthly as mrr "
        "left join marts.dim_account_owners as owners using (account_id) where mrr.movement = 'churn'",
    ),
    "customers_at_risk": (
        MRR,
        # Customers with MRR at the end of the month before, dated to the month after.
        "select mrr.month + interval 1 month, owners.owner_employee_number, 1 from marts.fct_mrr_monthly as mrr "
        "left join marts.dim_account_owners as owners using (account_id) where mrr.mrr > 0 "
        "and mrr.month < (select max(month) from marts.fct_mrr_monthly)",
    ),
}
# The counts behind the ratios, from kpi_monthly's own KPIs.
DERIVED_FROM_KPIS = {
    "closed_deals": (OPPORTUNITY, lambda kpis: kpis["won_deals"] + kpis["lost_deals"]),
    "won_sales_cycle_days": (
        OPPORTUNITY,
        lambda kpis: (kpis["sales_cycle_days"] or 0) * kpis["won_deals"],
    ),
}
RATIOS = {"win_rate", "avg_deal_size", "sales_cycle_days", "logo_churn_rate"}


@pytest.fixture(scope="module")
def settings(pipeline):
    _, data_dir = pipeline
    return load_settings({**os.environ, "SALESOPS_DATA_DIR": str(data_dir)})


@pytest.fixture(scope="module")
def session(settings):
    with MetricsSession.open(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def kpi_monthly(pipeline) -> dict[tuple, float | None]:
    """kpi_monthly's values by (kpi, month, scope): scope is None (company), ('team', manager) or ('rep', rep)."""
    _, data_dir = pipeline
    return {
        (kpi, month, None if scope_type == "company" else (scope_type, scope_id)): value
        for month, scope_type, scope_id, kpi, value in published(
            data_dir, "select month, scope_type, scope_id, kpi, value from marts.kpi_monthly"
        )
    }


@pytest.fixture(scope="module")
def hr(pipeline) -> dict[str, str | None]:
    """Each HR employee's supervisor (Supervisor EID), from the HR export alone."""
    exports, _ = pipeline
    return {number: row["Supervisor EID"] or None for number, row in employees(exports).items()}


@pytest.fixture(scope="module")
def reporting_lines(hr) -> dict[str, set[str]]:
    """Each HR employee's teams: themselves if they manage anyone, and every manager above them (any depth)."""
    managers = {boss for boss in hr.values() if boss}
    teams = {}
    for number in hr:
        found, current = set(), number
        while current and current not in found:
            if current in managers:
                found.add(current)
            current = hr.get(current)
        teams[number] = found
    return teams


@pytest.fixture(scope="module")
def sales_reps(pipeline) -> set[str]:
    """kpi_monthly's rep scopes: the people of dim_sales_reps."""
    _, data_dir = pipeline
    return {number for (number,) in published(data_dir, "select employee_number from marts.dim_sales_reps")}


def _month(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _quarter(month: dt.date) -> dt.date:
    return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def by_scope(session: MetricsSession, metric: str, person: str, reps: set[str]) -> dict[tuple, float | None]:
    """The metric by month for the company, every team (one query per team level) and every rep of ``reps``."""
    time = "metric_time__month"
    found = {}
    _, rows = session.query(Query(metrics=[metric], group_by=[time]))
    found.update({(month, None): value for month, value in rows})
    for level in LEVELS:
        _, rows = session.query(Query(metrics=[metric], group_by=[time, f"{person}__team_level_{level}"]))
        for month, team, value in rows:
            if team is not None:
                assert (month, ("team", team)) not in found, "a team at two levels"
                found[(month, ("team", team))] = value
    _, rows = session.query(Query(metrics=[metric], group_by=[time, person]))
    found.update({(month, ("rep", rep)): value for month, rep, value in rows if rep in reps})
    return found


def assert_agrees(metric: str, got: dict[tuple, float | None], expected: dict[tuple, float | None], close=False):
    """Every (month, scope) of either side agrees; a side without the key reads 0 for a sum, null for a ratio."""
    absent = None if metric in RATIOS else 0
    wrong = []
    for key in sorted(set(got) | set(expected), key=str):
        value, want = got.get(key, absent), expected.get(key, absent)
        if value is None or want is None:
            same = value is None and want is None
        elif close:
            same = math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-9)
        else:
            same = value == want
        if not same:
            wrong.append(f"{key}: metric {value!r}, expected {want!r}")
    assert wrong == [], f"{metric}: {len(wrong)} disagree, e.g. {wrong[:5]}"
    assert any(value for value in expected.values()), f"{metric}: nothing to compare (vacuous)"


def kpi_scopes(kpi_monthly: dict, kpi: str, scope_types=("team", "rep")) -> dict[tuple, float | None]:
    """One KPI of kpi_monthly by (month, scope), for the company and the scope types given."""
    return {
        (month, scope): value
        for (name, month, scope), value in kpi_monthly.items()
        if name == kpi and (scope is None or scope[0] in scope_types)
    }


def test_every_metric_is_compared(session):
    assert set(session.metric_names) == set(KPI_METRICS) | set(SQL_METRICS) | set(DERIVED_FROM_KPIS)


@pytest.mark.parametrize("metric", sorted(KPI_METRICS))
def test_metric_equals_kpi_monthly_by_month_for_the_company_every_team_and_rep(
    metric, session, kpi_monthly, sales_reps
):
    got = by_scope(session, metric, KPI_METRICS[metric], sales_reps)
    assert_agrees(metric, got, kpi_scopes(kpi_monthly, metric))


@pytest.mark.parametrize("metric", sorted(DERIVED_FROM_KPIS))
def test_counts_behind_the_ratios_equal_kpi_monthly(metric, session, kpi_monthly, sales_reps):
    person, derive = DERIVED_FROM_KPIS[metric]
    values = defaultdict(dict)
    for (kpi, month, scope), value in kpi_monthly.items():
        values[(month, scope)][kpi] = value
    expected = {key: derive(kpis) for key, kpis in values.items() if "won_deals" in kpis}
    assert_agrees(metric, by_scope(session, metric, person, sales_reps), expected, close=True)


@pytest.mark.parametrize("metric", sorted(SQL_METRICS))
def test_metric_equals_plain_sql_over_the_marts(metric, pipeline, session, reporting_lines, sales_reps):
    _, data_dir = pipeline
    person, sql = SQL_METRICS[metric]
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for month, employee_number, value in published(data_dir, sql):
        month = _month(month)
        expected[(month, None)] += Decimal(value)
        if employee_number in sales_reps:
            expected[(month, ("rep", employee_number))] += Decimal(value)
        for team in reporting_lines.get(employee_number, ()):
            expected[(month, ("team", team))] += Decimal(value)
    got = by_scope(session, metric, person, sales_reps)
    assert_agrees(metric, got, {key: float(value) for key, value in expected.items()})


def test_a_quarter_adds_flows_up_and_takes_stocks_at_its_last_month(session, kpi_monthly):
    """By quarter: bookings and win rate over the quarter's months; MRR and open pipeline at its last month
    (the as-of month for the current quarter), from kpi_monthly's months."""
    months = sorted({month for (kpi, month, scope) in kpi_monthly if kpi == "bookings" and scope is None})
    quarters = defaultdict(list)
    for month in months:
        quarters[_quarter(month)].append(month)
    _, rows = session.query(
        Query(metrics=["bookings", "win_rate", "mrr", "open_pipeline"], group_by=["metric_time__quarter"])
    )
    got = {_month(quarter): values for quarter, *values in rows}
    for quarter, in_quarter in quarters.items():

        def company(kpi: str, in_months=in_quarter) -> float:
            return sum(kpi_monthly[(kpi, month, None)] for month in in_months)

        won, lost = company("won_deals"), company("lost_deals")
        bookings, win_rate, mrr, open_pipeline = got.get(quarter, (0, None, 0, 0))
        assert bookings == company("bookings"), quarter
        assert win_rate == (won / (won + lost) if won + lost else None), quarter
        assert mrr == company("mrr", [max(in_quarter)]), quarter
        assert open_pipeline == company("open_pipeline", [max(in_quarter)]), quarter


def test_fiscal_quarters_follow_the_fiscal_year_setting(settings, kpi_monthly):
    """metric_time__fiscal_quarter with a fiscal year starting in February: Feb-Apr, May-Jul, and so on."""

    def fiscal_quarter(month: dt.date) -> dt.date:
        index = month.year * 12 + month.month - 1  # months since year 0
        start = index - (month.month - 2) % 12 % 3
        return dt.date(start // 12, start % 12 + 1, 1)

    expected = defaultdict(float)
    for (kpi, month, scope), value in kpi_monthly.items():
        if kpi == "bookings" and scope is None:
            expected[fiscal_quarter(month)] += value
    with MetricsSession.open(settings.model_copy(update={"fiscal_year_start_month": 2})) as fiscal:
        _, rows = fiscal.query(Query(metrics=["bookings"], group_by=["metric_time__fiscal_quarter"]))
    got = {_month(quarter): value for quarter, value in rows}
    assert {quarter: value for quarter, value in got.items() if value} == {
        quarter: value for quarter, value in expected.items() if value
    }
    assert {quarter.month for quarter in got} <= {2, 5, 8, 11}


def test_team_path_filters_a_whole_reporting_line(session, kpi_monthly):
    """`--where` on rep__team_path: the bookings of a manager's whole reporting line, kpi_monthly's team row."""
    expected = kpi_scopes(kpi_monthly, "bookings", ("team",))
    teams = sorted({scope[1] for (_, scope), value in expected.items() if scope and value})
    assert len(teams) >= 2
    for team in teams:
        _, rows = session.query(
            Query(
                metrics=["bookings"],
                group_by=["metric_time__month"],
                where=[f"{{{{ Dimension('rep__team_path') }}}} like '%/{team}/%'"],
            )
        )
        got = {(month, ("team", team)): value for month, value in rows}
        assert_agrees("bookings", got, {key: value for key, value in expected.items() if key[1] == ("team", team)})


def test_unknown_metric_is_refused_with_the_list(session):
    with pytest.raises(MetricsError, match=r"unknown metric\(s\): win_ratio\b.*win_rate"):
        session.query(Query(metrics=["win_ratio"]))


def test_the_published_database_is_only_read(pipeline, session):
    """The session attaches the published file read-only: nothing can write to it."""
    _, data_dir = pipeline
    with pytest.raises(Exception, match=r"read-only|read only"):
        session._client.execute("create table build.marts.scratch as select 1 as x")
    assert published(data_dir, "select count(*) from duckdb_tables() where table_name = 'scratch'") == [(0,)]


# The command, end to end: a separate process started elsewhere than the repository, reading the
# published database of the data dir it is given.


def salesops_metrics(data_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`salesops metrics ARGS`, the installed command, run from ``cwd``."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "salesops"), "metrics", *args],
        cwd=cwd,
        env={**os.environ, "SALESOPS_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_command_answers_win_rate_and_bookings_by_quarter_and_team(pipeline, hr, tmp_path):
    _, data_dir = pipeline
    # The expected figures from the published deals and the HR export only. A deal's rep__team is the
    # smallest team its owner counts in: their own if they manage anyone, else their supervisor's.
    managers = {boss for boss in hr.values() if boss}
    counts = defaultdict(lambda: [0, 0, Decimal(0)])  # (quarter, team) -> won, lost, bookings
    for owner, close_date, is_won, amount in published(
        data_dir,
        "select owner_employee_number, close_date, is_won, amount from marts.fct_opportunities where is_closed",
    ):
        team = owner if owner in managers else hr.get(owner)
        if team:
            entry = counts[(_quarter(close_date), team)]
            entry[0 if is_won else 1] += 1
            entry[2] += amount if is_won else 0
    (quarter, team), (won, lost, bookings) = max(counts.items(), key=lambda item: item[1][0] + item[1][1])
    assert won and lost

    completed = salesops_metrics(
        data_dir, tmp_path, "--metrics", "win_rate,bookings", "--group-by", "metric_time__quarter,rep__team"
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].split() == ["metric_time__quarter", "rep__team", "win_rate", "bookings"]
    (row,) = [line.split() for line in lines if line.split()[:2] == [quarter.isoformat(), team]]
    assert float(row[2]) == pytest.approx(won / (won + lost), abs=5e-7)  # printed to 6 decimals
    assert Decimal(row[3]) == bookings

    as_csv = salesops_metrics(
        data_dir, tmp_path, "--metrics", "win_rate", "--group-by", "metric_time__quarter,rep__team", "--csv", "-"
    )
    assert as_csv.returncode == 0, as_csv.stderr
    records = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    (record,) = [r for r in records if (r["metric_time__quarter"], r["rep__team"]) == (quarter.isoformat(), team)]
    assert float(record["win_rate"]) == won / (won + lost)


def test_command_refuses_an_unknown_metric_and_a_missing_publication(pipeline, tmp_path):
    _, data_dir = pipeline
    completed = salesops_metrics(data_dir, tmp_path, "--metrics", "win_ratio")
    assert completed.returncode != 0
    assert "unknown metric(s): win_ratio" in completed.stderr and "--list" in completed.stderr
    assert completed.stdout == ""

    empty = tmp_path / "no-data"
    completed = salesops_metrics(empty, tmp_path, "--metrics", "win_rate")
    assert completed.returncode != 0
    assert f"there is no published database yet ({empty / 'warehouse' / 'salesops.duckdb'})" in completed.stderr
    assert "salesops run" in completed.stderr


def test_command_lists_the_metrics_and_their_dimensions(pipeline, tmp_path):
    _, data_dir = pipeline
    listed = salesops_metrics(data_dir, tmp_path, "--list")
    assert listed.returncode == 0, listed.stderr
    expected = {"win_rate (ratio)", "bookings (simple)", "mrr (simple)", "payout (simple)"}
    assert expected <= set(listed.stdout.splitlines())
    dimensions = salesops_metrics(data_dir, tmp_path, "--list-dimensions", "--metrics", "win_rate")
    assert dimensions.returncode == 0, dimensions.stderr
    names = {line.split()[0] for line in dimensions.stdout.splitlines()}
    assert {
        "metric_time__fiscal_quarter",
        "rep__team",
        "rep__team_name",
        "rep__name",
        "opportunity__stage",
        "opportunity__lead_source",
        "opportunity__opportunity_type",
    } <= names
