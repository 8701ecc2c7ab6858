"""``salesops metrics``: the KPIs of the dbt semantic layer, asked for by name.

A thin wrapper over MetricFlow (dbt's semantic layer engine). The metrics and
their dimensions are defined once, in ``dbt_project/models/semantic``; this
module answers queries such as::

    salesops metrics --metrics win_rate --group-by metric_time__quarter,rep__team

from the **published** marts (``<data dir>/warehouse/salesops.duckdb``), which
it opens read-only: the build database is never read, and BI readers holding
the published file are never disturbed. How:

- the semantic manifest is dbt's ``target/semantic_manifest.json`` of the
  project (``make setup`` writes it), or the one the last run wrote under the
  data dir;
- an in-memory DuckDB attaches the published file ``READ_ONLY`` under the
  database name the manifest's relations carry (``build``, the build
  database's name), so ``"build"."marts"."fct_opportunities"`` resolves to the
  published table;
- MetricFlow's time spine (a day per row) is not published: the same spine as
  ``models/intermediate/core/int_days_spined.sql`` is built in the in-memory
  database and the manifest pointed at it.

Plain Python (no Dagster): ``add_parser`` adds the subcommand to the
``salesops`` CLI, ``run`` executes it with the loaded settings.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from salesops.settings import DBT_PROJECT_DIR, Settings
from salesops.sql import identifier, string_literal

SEMANTIC_MANIFEST = "semantic_manifest.json"
# MetricFlow's time spine, built in the in-memory database as dbt builds it in the build database
# (models/intermediate/core/int_days_spined.sql): a day per row, with its fiscal quarter and year.
TIME_SPINE_SQL = """
create table main.{table} as
with days as (
    select cast(days.day as date) as date_day
    from range(date '2000-01-01', date '2051-01-01', interval 1 day) as days (day)
)
select
    date_day,
    cast(date_trunc('month', date_day) - to_months((month(date_day) - {start_month} + 12) % 12 % 3) as date)
        as fiscal_quarter_start,
    cast(date_trunc('month', date_day) - to_months((month(date_day) - {start_month} + 12) % 12) as date)
        as fiscal_year_start
from days
"""
# metric_time's granularities: the standard ones and the time spine's custom ones (int_days_spined).
METRIC_TIME_GRAINS = (
    ("day", "the date the metric is dated by: a deal's close (or created) date, the MRR month, …"),
    ("week", "its week (Monday)"),
    ("month", "its month (first day)"),
    ("quarter", "its calendar quarter (first day)"),
    ("year", "its calendar year"),
    ("fiscal_quarter", "its fiscal quarter (first day; SALESOPS_FISCAL_YEAR_START_MONTH)"),
    ("fiscal_year", "its fiscal year (first day)"),
)
EXAMPLES = """\
examples:
  salesops metrics --list
  salesops metrics --list-dimensions --metrics win_rate
  salesops metrics --metrics win_rate --group-by metric_time__quarter,rep__team
  salesops metrics --metrics bookings,won_deals --group-by metric_time__month \\
      --where "{{ TimeDimension('metric_time', 'month') }} >= '2026-01-01'" --order-by=-metric_time__month
  salesops metrics --metrics mrr,new_mrr --group-by metric_time__month,account__rep__team_name --csv mrr.csv
"""


class MetricsError(Exception):
    """A query salesops cannot answer: the message says why and what to do."""


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``metrics`` subcommand to the ``salesops`` CLI's subparsers."""
    command = subparsers.add_parser(
        "metrics",
        help="query the KPIs by name (dbt semantic layer, MetricFlow) from the published marts",
        description="Query the metrics of the dbt semantic layer (dbt_project/models/semantic) by name, "
        "from the published marts (opened read-only).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--metrics", type=_names, default=[], help="comma-separated metric names (see --list)")
    command.add_argument(
        "--group-by",
        type=_names,
        default=[],
        help="comma-separated dimensions: metric_time__month, metric_time__quarter, rep__team, stage, … "
        "(see --list-dimensions)",
    )
    command.add_argument(
        "--where",
        action="append",
        default=[],
        help="a MetricFlow filter, e.g. \"{{ Dimension('rep__team') }} = '1003'\" (repeat to combine with AND)",
    )
    command.add_argument(
        "--order-by",
        type=_names,
        default=[],
        help="comma-separated metrics or dimensions (default: the group-by), '-' first for descending: "
        "--order-by=-bookings",
    )
    command.add_argument("--limit", type=int, help="return at most this many rows")
    command.add_argument("--start-time", type=dt.date.fromisoformat, help="first day of metric_time (YYYY-MM-DD)")
    command.add_argument("--end-time", type=dt.date.fromisoformat, help="last day of metric_time (YYYY-MM-DD)")
    command.add_argument("--csv", metavar="FILE", help="write the result as CSV to FILE ('-' for the terminal)")
    command.add_argument(
        "--decimals", type=int, help="show numbers with this many decimals (default: up to 6, trailing zeros dropped)"
    )
    command.add_argument("--explain", action="store_true", help="print the SQL MetricFlow generates, run nothing")
    command.add_argument("--list", action="store_true", help="list the metrics with their descriptions")
    command.add_argument(
        "--list-dimensions",
        action="store_true",
        help="list the dimensions you can group and filter by (those of --metrics when given)",
    )
    return command


def run(args: argparse.Namespace, settings: Settings, stream: TextIO | None = None) -> int:
    """Execute ``salesops metrics`` with ``settings`` (their data dir holds the publication): 0 when
    answered, 2 (with a message on stderr) when not."""
    stream = stream or sys.stdout
    try:
        with MetricsSession.open(settings) as session:
            if args.list:
                stream.write(session.describe_metrics())
                return 0
            if args.list_dimensions:
                stream.write(session.describe_dimensions(args.metrics))
                return 0
            if not args.metrics:
                raise MetricsError("name at least one metric with --metrics (`salesops metrics --list` lists them).")
            query = Query(
                metrics=args.metrics,
                group_by=args.group_by,
                where=args.where,
                order_by=args.order_by,
                limit=args.limit,
                start=args.start_time,
                end=args.end_time,
            )
            if args.explain:
                stream.write(session.explain(query) + "\n")
                return 0
            columns, rows = session.query(query)
    except MetricsError as error:
        sys.stderr.write(f"salesops metrics: error: {error}\n")
        return 2
    if args.csv:
        if args.csv == "-":
            write_csv(columns, rows, stream, args.decimals)
        else:
            try:
                with open(args.csv, "w", encoding="utf-8", newline="") as handle:
                    write_csv(columns, rows, handle, args.decimals)
            except OSError as error:
                sys.stderr.write(f"salesops metrics: error: cannot write {args.csv}: {error.strerror}\n")
                return 2
            stream.write(f"{len(rows)} rows written to {Path(args.csv).resolve()}\n")
    else:
        stream.write(format_table(columns, rows, args.decimals))
    return 0


@dataclass(frozen=True)
class Query:
    """A metric query, as MetricFlow's ``mf query`` takes it."""

    metrics: Sequence[str]
    group_by: Sequence[str] = ()
    where: Sequence[str] = ()
    order_by: Sequence[str] = ()
    limit: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def semantic_manifest_path(settings: Settings) -> Path:
    """The project's semantic manifest (``make setup``), else the one the last run wrote in the data dir."""
    for candidate in (
        DBT_PROJECT_DIR / "target" / SEMANTIC_MANIFEST,
        settings.data_dir / "dbt-target" / SEMANTIC_MANIFEST,
    ):
        if candidate.exists():
            return candidate
    raise MetricsError(
        f"the dbt semantic manifest ({DBT_PROJECT_DIR / 'target' / SEMANTIC_MANIFEST}) does not exist: "
        "run `make setup` (or `dbt parse` in dbt_project) first."
    )


def _relation(database: str, schema: str, alias: str) -> dict:
    return {
        "alias": alias,
        "schema_name": schema,
        "database": database,
        "relation_name": f'"{database}"."{schema}"."{alias}"',
    }


class MetricsSession:
    """MetricFlow over an in-memory DuckDB with the published marts attached read-only."""

    def __init__(self, engine, client, metric_names: list[str]):
        self._engine = engine
        self._client = client
        self.metric_names = metric_names

    @classmethod
    def open(cls, settings: Settings) -> MetricsSession:
        published = settings.published_database
        if not published.exists():
            raise MetricsError(
                f"there is no published database yet ({published}): run `salesops run` "
                "(or point --data-dir / SALESOPS_DATA_DIR at the data dir that holds it)."
            )
        manifest_path = semantic_manifest_path(settings)
        try:
            raw = json.loads(manifest_path.read_text(encoding="utf-8"))
            databases = {model["node_relation"]["database"] for model in raw["semantic_models"]}
        except (ValueError, KeyError, TypeError) as error:
            raise MetricsError(
                f"cannot read the semantic manifest {manifest_path} ({error}): run `make setup`."
            ) from error
        if len(databases) != 1:
            raise MetricsError(f"the semantic models live in several databases ({sorted(databases)}); expected one.")
        (database,) = databases
        # The spine lives in the in-memory database (its catalog is named `memory`).
        spines = raw["project_configuration"].get("time_spines", [])
        for spine in spines:
            spine["node_relation"] = _relation("memory", "main", spine["node_relation"]["alias"])

        import duckdb

        connection = duckdb.connect(":memory:")
        try:
            connection.execute(f"attach {string_literal(str(published))} as {identifier(database)} (read_only)")
        except duckdb.Error as error:
            connection.close()
            raise MetricsError(f"cannot open the published database {published} read-only: {error}") from error
        # A publication made before a mart the semantic models read was added lacks it.
        missing = sorted(
            f"{model['node_relation']['schema_name']}.{model['node_relation']['alias']}"
            for model in raw["semantic_models"]
            if not _relation_exists(connection, model["node_relation"])
        )
        if missing:
            connection.close()
            raise MetricsError(
                f"the publication in {published} has no {', '.join(missing)}: it was made by an older salesops; "
                "run `salesops run` to publish the marts again."
            )
        for spine in spines:
            connection.execute(
                TIME_SPINE_SQL.format(
                    table=spine["node_relation"]["alias"], start_month=int(settings.fiscal_year_start_month)
                )
            )

        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(raw))
        client = DuckDbSqlClient(connection)
        engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest), sql_client=client)
        return cls(engine, client, sorted(metric.name for metric in manifest.metrics))

    def __enter__(self) -> MetricsSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _request(self, query: Query):
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        unknown = [name for name in query.metrics if name not in self.metric_names]
        if unknown:
            raise MetricsError(
                f"unknown metric(s): {', '.join(unknown)}. The metrics are: {', '.join(self.metric_names)} "
                "(`salesops metrics --list` describes them)."
            )
        return MetricFlowQueryRequest.create(
            metric_names=list(query.metrics),
            group_by_names=list(query.group_by) or None,
            where_constraints=list(query.where) or None,
            # Rows in group-by order unless told otherwise.
            order_by_names=list(query.order_by or query.group_by) or None,
            limit=query.limit,
            time_constraint_start=dt.datetime.combine(query.start, dt.time.min) if query.start else None,
            time_constraint_end=dt.datetime.combine(query.end, dt.time.min) if query.end else None,
        )

    def query(self, query: Query) -> tuple[list[str], list[list[Any]]]:
        """The result's column names and rows (dates as ``date``, numbers as ``int`` or ``float``)."""
        request = self._request(query)
        with _metricflow_errors():
            result = self._engine.query(request)
        table = result.result_df
        rows = [[_cell(value) for value in row] for row in table.rows]
        return list(table.column_names), rows

    def explain(self, query: Query) -> str:
        """The SQL MetricFlow would run."""
        request = self._request(query)
        with _metricflow_errors():
            result = self._engine.explain(request)
        return result.sql_statement.sql

    def describe_metrics(self) -> str:
        lines = []
        for metric in self._engine.list_metrics(include_dimensions=False):
            description = " ".join((metric.description or "").split())
            lines.append(f"{metric.name} ({metric.type.value.lower()})")
            lines += textwrap.wrap(description, width=100, initial_indent="    ", subsequent_indent="    ")
        return "\n".join(lines) + "\n"

    def describe_dimensions(self, metric_names: Sequence[str]) -> str:
        if metric_names:
            self._request(Query(metrics=metric_names))  # names unknown metrics
        with _metricflow_errors():
            group_bys = self._engine.list_group_bys(metric_names=list(metric_names) or None)
        lines = [f"metric_time__{grain}  {meaning}" for grain, meaning in METRIC_TIME_GRAINS]
        for item in group_bys:
            name = getattr(item, "dunder_name", None) or item.name
            if name.startswith("metric_time"):
                continue
            description = " ".join((getattr(item, "description", None) or "").split())
            lines.append(f"{name}" + (f"  {description}" if description else ""))
        return "\n".join(lines) + "\n"


class DuckDbSqlClient:
    """MetricFlow's ``SqlClient`` over a DuckDB connection (MetricFlow's DuckDB SQL dialect)."""

    def __init__(self, connection):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._connection = connection
        self._engine = SqlEngine.DUCKDB
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self):
        return self._engine

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def _check_no_bind_parameters(self, sql_bind_parameter_set) -> None:
        if sql_bind_parameter_set is not None and sql_bind_parameter_set.param_dict:
            raise MetricsError("bind parameters are not supported")

    def query(self, stmt: str, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        self._check_no_bind_parameters(sql_bind_parameter_set)
        cursor = self._connection.execute(stmt)
        columns = [description[0] for description in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._check_no_bind_parameters(sql_bind_parameter_set)
        self._connection.execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._check_no_bind_parameters(sql_bind_parameter_set)
        self._connection.execute(f"explain {stmt}")

    def close(self) -> None:
        self._connection.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        raise MetricsError("bind parameters are not supported")


def _relation_exists(connection, relation: dict) -> bool:
    found = connection.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [relation["database"], relation["schema_name"], relation["alias"]],
    ).fetchone()
    return bool(found and found[0])


@contextlib.contextmanager
def _metricflow_errors() -> Iterator[None]:
    """MetricFlow's own errors name the bad input and suggest fixes: pass on their first lines."""
    try:
        yield
    except Exception as error:
        raise MetricsError(_first_lines(error)) from error


def _first_lines(error: Exception, limit: int = 40) -> str:
    lines = str(error).strip().splitlines()
    return "\n".join(lines[:limit]) + ("\n…" if len(lines) > limit else "")


def _cell(value: Any) -> Any:
    """MetricFlow's table holds dates as midnight datetimes: give them back as dates."""
    if isinstance(value, dt.datetime) and value.time() == dt.time.min:
        return value.date()
    return value


def format_value(value: Any, decimals: int | None = None) -> str:
    """A cell as printed: no thousands separators, ``decimals`` decimals (else up to 6, no trailing zeros),
    empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if decimals is not None:
            return f"{value:.{decimals}f}"
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], decimals: int | None = None) -> str:
    """The result as an aligned text table (numbers right-aligned)."""
    cells = [[format_value(value, decimals) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[index]) for row in cells]) for index, name in enumerate(columns)]
    numeric = [
        all(
            (isinstance(row[index], int | float) and not isinstance(row[index], bool)) or row[index] is None
            for row in rows
        )
        and any(row[index] is not None for row in rows)
        for index in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), line(["-" * width for width in widths])]
    out += [line(row) for row in cells]
    out.append(f"({len(rows)} rows)")
    return "\n".join(out) + "\n"


def write_csv(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], handle: TextIO, decimals: int | None = None
) -> None:
    """The result as CSV: numbers at full precision (or ``decimals``), ISO dates, null as an empty field."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                format_value(value, decimals)
                if value is None or isinstance(value, dt.date) or (decimals is not None and isinstance(value, float))
                else value
                for value in row
            ]
        )
