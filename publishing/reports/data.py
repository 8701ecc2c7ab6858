"""The figures of every report, read once from the published marts.

Everything is read from ``salesops.duckdb`` (read-only), never from the build
database, and aggregated in DuckDB; Python only partitions the small results by
person. Each report's context is plain data (numbers, dates, strings), so it can
be hashed to tell whether a report changed since it was last rendered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from publishing.reports.scope import Hierarchy, Person

KPI_TITLES = {
    "bookings": "Bookings",
    "win_rate": "Win rate",
    "avg_deal_size": "Average deal size",
    "sales_cycle_days": "Sales cycle (days)",
    "pipeline_created": "Pipeline created",
}
TREND_KPIS = tuple(KPI_TITLES)
PERCENT_KPIS = {"win_rate"}
TREND_MONTHS = 12
TOP_OPEN_DEALS = 10
FORECAST_CATEGORIES = ("Commit", "Best Case", "Pipeline")
WATERFALL_MOVEMENTS = (
    "opening_amount",
    "created_amount",
    "pulled_in_amount",
    "pushed_out_amount",
    "won_amount",
    "lost_amount",
    "removed_amount",
    "amount_change",
    "closing_amount",
)
STATEMENT_FIGURES = (
    "effective_quota",
    "credited_bookings",
    "commission",
    "spiffs",
    "clawbacks",
    "earned",
    "draw_paid",
    "draw_balance",
    "payout",
)
YEAR_TO_DATE_FIGURES = ("credited_bookings", "commission", "spiffs", "clawbacks", "earned", "draw_paid", "payout")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal quarters and years from the first month of the fiscal year (FY named by the year it ends)."""

    start_month: int

    def quarter_start(self, day: dt.date) -> dt.date:
        months_in = (day.month - self.start_month) % 12
        return add_months(dt.date(day.year, day.month, 1), -(months_in % 3))

    def year_start(self, day: dt.date) -> dt.date:
        months_in = (day.month - self.start_month) % 12
        return add_months(dt.date(day.year, day.month, 1), -months_in)

    def quarter_label(self, quarter_start: dt.date) -> str:
        year_end = add_months(self.year_start(quarter_start), 11)
        quarter = (quarter_start.month - self.start_month) % 12 // 3 + 1
        return f"FY{year_end.year} Q{quarter}"


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list[dict]:
    cursor = connection.execute(sql, parameters or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def attainment(credited: Decimal | None, quota: Decimal | None) -> Decimal | None:
    """Credited ÷ quota to six places, half up as the marts' round() does; none without a quota."""
    if credited is None or not quota:
        return None
    return (Decimal(credited) / Decimal(quota)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _index_by_owner(rows: list[dict]) -> dict[str | None, list[tuple[int, dict]]]:
    """Rows by owner_employee_number, each with its position, so that a team's rows keep the list's order."""
    index: dict[str | None, list[tuple[int, dict]]] = defaultdict(list)
    for position, row in enumerate(rows):
        index[row["owner_employee_number"]].append((position, row))
    return index


class ReportData:
    """Every figure the report pack needs, from one read of the published database."""

    def __init__(self, published_database: Path, fiscal_year_start_month: int, stale_deal_days: int):
        self.calendar = FiscalCalendar(fiscal_year_start_month)
        self.stale_deal_days = stale_deal_days
        with duckdb.connect(str(published_database), read_only=True) as connection:
            self._read(connection)

    # ------------------------------------------------------------------ reading
    def _read(self, connection: duckdb.DuckDBPyConnection) -> None:
        deliveries = _rows(
            connection, "select * from marts.rpt_deliveries order by source_name, table_name, delivery_id"
        )
        if not deliveries:
            raise RuntimeError("marts.rpt_deliveries is empty: the publication was built from no delivery.")
        self.as_of: dt.date = deliveries[0]["as_of_date"]
        self.deliveries = sorted({(row["source_name"], row["delivery_id"]) for row in deliveries})
        self.month = dt.date(self.as_of.year, self.as_of.month, 1)
        self.quarter_start = self.calendar.quarter_start(self.as_of)
        self.quarter_end = add_months(self.quarter_start, 3) - dt.timedelta(days=1)
        self.next_quarter_start = add_months(self.quarter_start, 3)
        self.trend_months = [add_months(self.month, offset) for offset in range(-TREND_MONTHS + 1, 1)]

        self.hierarchy = Hierarchy(
            [
                Person(**row)
                for row in _rows(
                    connection,
                    "select employee_number, name, title, manager_employee_number, hire_date, termination_date, "
                    "is_active from marts.dim_sales_reps",
                )
            ]
        )
        self._read_attainment(connection)
        self._read_pipeline(connection)
        self._read_kpis(connection)
        self._read_statements(connection)
        self._pipeline = {
            "waterfall": self.waterfall_by_owner,
            "forecast": self.forecast_by_owner,
            "open": self.open_deals,
            "slipped": self.slipped_deals,
            "stale": self.stale_deals,
        }
        self._owned = {name: _index_by_owner(rows) for name, rows in self._pipeline.items()}

    def _read_attainment(self, connection) -> None:
        self.quarter_attainment = {
            row["employee_number"]: row
            for row in _rows(
                connection,
                "select employee_number, sum(full_quota) as full_quota, sum(effective_quota) as effective_quota, "
                "sum(credited_bookings) as credited_bookings, count(*) as plan_periods "
                "from marts.fct_quota_attainment where period_start between ? and ? group by employee_number",
                [self.quarter_start, self.quarter_end],
            )
        }
        self.team_attainment = {
            row["manager_employee_number"]: row
            for row in _rows(
                connection,
                "select * from marts.rpt_team_attainment where quarter_start = ?",
                [self.quarter_start],
            )
        }

    def _read_pipeline(self, connection) -> None:
        self.waterfall_by_owner = _rows(
            connection,
            "select * from marts.rpt_pipeline_waterfall_by_owner where target_quarter_start = ? order by month",
            [self.quarter_start],
        )
        self.company_waterfall = _rows(
            connection,
            "select * from marts.rpt_pipeline_waterfall where target_quarter_start = ? order by month",
            [self.quarter_start],
        )
        self.forecast_by_owner = _rows(
            connection,
            "select owner_employee_number, forecast_category, sum(amount) as amount, count(*) as deals "
            "from marts.fct_pipeline_snapshots where snapshot_date = ? and close_date between ? and ? "
            "group by all",
            [self.as_of, self.quarter_start, self.quarter_end],
        )
        self.open_deals = _rows(
            connection,
            "select opportunity_id, owner_employee_number, stage_name, forecast_category, amount, probability, "
            "close_date, created_date, days_open from marts.fct_opportunities where not is_closed "
            "order by amount desc nulls last, opportunity_id",
        )
        # Slipped this month: open at the end of the day before the month with a close date in the month,
        # and at the as-of date still open with a close date after it.
        self.slipped_deals = _rows(
            connection,
            "select now_.opportunity_id, now_.owner_employee_number, now_.stage_name, now_.amount, "
            "before.close_date as previous_close_date, now_.close_date "
            "from marts.fct_pipeline_snapshots as before "
            "join marts.fct_pipeline_snapshots as now_ on now_.opportunity_id = before.opportunity_id "
            "and now_.snapshot_date = ? "
            "where before.snapshot_date = ? and before.close_date between ? and ? and now_.close_date > ? "
            "order by now_.amount desc nulls last, now_.opportunity_id",
            [
                self.as_of,
                self.month - dt.timedelta(days=1),
                self.month,
                add_months(self.month, 1) - dt.timedelta(days=1),
                add_months(self.month, 1) - dt.timedelta(days=1),
            ],
        )
        # Stale: open at the as-of date with no change of stage, amount, probability, close date or forecast
        # category since the last day that changed any of them (or since the deal's first snapshot).
        self.stale_deals = _rows(
            connection,
            """
            with open_now as (
                select opportunity_id from marts.fct_pipeline_snapshots where snapshot_date = $as_of
            ),
            days as (
                select
                    snapshots.*,
                    lag(row(stage_name, amount, probability, close_date, forecast_category))
                        over (partition by snapshots.opportunity_id order by snapshot_date) as previous_state,
                    lag(snapshot_date)
                        over (partition by snapshots.opportunity_id order by snapshot_date) as previous_day
                from marts.fct_pipeline_snapshots as snapshots
                semi join open_now using (opportunity_id)
            ),
            last_change as (
                select opportunity_id, max(snapshot_date) as last_change_date
                from days
                where previous_state is null
                    or previous_day <> snapshot_date - interval 1 day
                    or previous_state
                        is distinct from row(stage_name, amount, probability, close_date, forecast_category)
                group by opportunity_id
            )
            select days.opportunity_id, days.owner_employee_number, days.stage_name, days.amount, days.close_date,
                last_change.last_change_date, cast($as_of - last_change.last_change_date as integer) as days_unchanged
            from days
            join last_change using (opportunity_id)
            where days.snapshot_date = $as_of and $as_of - last_change.last_change_date >= $stale_days
            order by days_unchanged desc, days.amount desc nulls last, days.opportunity_id
            """,
            {"as_of": self.as_of, "stale_days": self.stale_deal_days},
        )

    def _read_kpis(self, connection) -> None:
        self.kpis: dict[tuple[str, str | None], dict[tuple[str, dt.date], float | None]] = defaultdict(dict)
        for row in _rows(
            connection,
            "select scope_type, scope_id, kpi, month, value from marts.kpi_monthly "
            "where (kpi in (select unnest(?)) and month >= ?) or (kpi = 'pipeline_coverage' and month = ?)",
            [list(TREND_KPIS), self.trend_months[0], self.month],
        ):
            self.kpis[(row["scope_type"], row["scope_id"])][(row["kpi"], row["month"])] = row["value"]

    def _read_statements(self, connection) -> None:
        statements = _rows(
            connection,
            "select * from marts.fct_commission_statements order by employee_number, period_start, plan_id",
        )
        self.statements: dict[str, list[dict]] = defaultdict(list)
        for statement in statements:
            self.statements[statement["employee_number"]].append(statement)
        wanted = {
            (statement["employee_number"], statement["plan_id"], statement["period_start"])
            for person in self.statements
            for statement in self.current_and_last_closed(person)
        }
        self.lines: dict[tuple[str, str, dt.date], list[dict]] = defaultdict(list)
        self.uncredited: dict[str, list[dict]] = defaultdict(list)
        for line in _rows(
            connection,
            "select * from marts.fct_commission_lines where period_start >= ? "
            "order by employee_number, period_start, plan_id, line_type, close_date nulls last, opportunity_id, "
            "band_from nulls first",
            [min((key[2] for key in wanted), default=self.as_of)],
        ):
            # Credit outside any plan assignment has no plan and the month of the deal as its period.
            if line["line_type"] == "uncredited":
                self.uncredited[line["employee_number"]].append(line)
                continue
            key = (line["employee_number"], line["plan_id"], line["period_start"])
            if key in wanted:
                self.lines[key].append(line)

    # ------------------------------------------------------------------ helpers
    def owned_by(self, rows: str, owners: set[str] | None) -> list[dict]:
        """The rows of one pipeline list whose owner is among ``owners`` (all for None), in the list's order."""
        if owners is None:
            return self._pipeline[rows]
        index = self._owned[rows]
        return [
            row
            for _, row in sorted(
                (entry for owner in owners for entry in index.get(owner, ())), key=lambda entry: entry[0]
            )
        ]

    def current_and_last_closed(self, employee_number: str) -> list[dict]:
        """The statements of the plan period holding the as-of date, then of the last period closed before it."""
        statements = self.statements.get(employee_number, [])
        current = [s for s in statements if s["period_start"] <= self.as_of <= s["period_end"]]
        closed = [s for s in statements if s["period_end"] < self.as_of]
        last_end = max((s["period_end"] for s in closed), default=None)
        return current + [s for s in closed if s["period_end"] == last_end]

    def statement_lines(self, statement: dict) -> list[dict]:
        """A statement's lines, with the person's unpaid credit (no plan assignment) dated in its period."""
        number = statement["employee_number"]
        key = (number, statement["plan_id"], statement["period_start"])
        return self.lines.get(key, []) + [
            line
            for line in self.uncredited.get(number, [])
            if statement["period_start"] <= line["period_start"] <= statement["period_end"]
        ]

    def year_to_date(self, employee_number: str, statement: dict) -> dict:
        """Sums over the person's statements from the fiscal year's start through this statement's period."""
        year_start = self.calendar.year_start(statement["period_start"])
        included = [
            s
            for s in self.statements.get(employee_number, [])
            if year_start <= s["period_start"] <= statement["period_start"]
        ]
        totals = {figure: sum((s[figure] for s in included), Decimal("0.00")) for figure in YEAR_TO_DATE_FIGURES}
        totals["fiscal_year_start"] = year_start
        totals["statements"] = len(included)
        return totals

    def kpi_value(self, scope: tuple[str, str | None], kpi: str, month: dt.date) -> float | None:
        return self.kpis.get(scope, {}).get((kpi, month))
