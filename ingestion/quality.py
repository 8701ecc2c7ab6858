"""Great Expectations suites built from the input contract, run on each new batch.

GX validates pandas batches (GX on DuckDB through SQLAlchemy is broken, GX issue
11579), holding only the columns the suite needs, in a process of its own (its
import and memory stay out of the caller's). Every expectation derived from the
contract is error-level: a failure blocks the run. Values that did not parse as
their contract type (found by the reader) are reported in the same result.
"""

from __future__ import annotations

import atexit
import calendar
import concurrent.futures
import datetime as dt
import html
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

from ingestion.contracts import STAGE_NAMES, Entity
from ingestion.readers import RawBatch
from salesops.faults import pause_point
from salesops.processes import started_process_pool

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

EARLIEST_PLAUSIBLE = dt.datetime(1990, 1, 1)
PLAUSIBLE_YEARS_AHEAD = 10
SAMPLE_ROWS = 5


@dataclass
class Failure:
    """One failed expectation (or the parse problems of one column) with sample rows."""

    expectation: str
    column: str
    unexpected_count: int
    samples: list[dict] = field(default_factory=list)
    rule: str = ""
    """What the data should have been, in words (the allowed values, the range)."""
    lines: list[int] = field(default_factory=list)
    """Every failing row's line, when the validation was asked for them (to quarantine the rows)."""

    def describe(self) -> str:
        lines = ", ".join(f"line {sample.get('_line_number')}: {sample.get(self.column)!r}" for sample in self.samples)
        return f"column {self.column!r} {self.rule or self.expectation}: {self.unexpected_count} row(s) ({lines})"


def _rule(expectation_type: str, kwargs: dict) -> str:
    if expectation_type == "expect_column_values_to_be_in_set":
        return "must be one of " + ", ".join(repr(value) for value in kwargs["value_set"])
    if expectation_type == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        low, high = (_bound(value) for value in (low, high))
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
        return f"must be at least {low}" if low is not None else f"must be at most {high}"
    if expectation_type in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        return "must be unique within a delivery"
    if expectation_type == "expect_column_values_to_not_be_null":
        return "must not be empty"
    if expectation_type == "expect_column_values_to_match_regex":
        return f"must match {kwargs['regex']}"
    return expectation_type


def _bound(value):
    """A range's bound as a person writes it: 2036-12-31, 0, 0.5 (GX hands back 0 as 0.0)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class BatchValidation:
    file: str
    rows: int
    evaluated: int
    failures: list[Failure]
    gx_result: dict = field(default_factory=dict)
    """Great Expectations' own validation result (JSON), kept with the run's check results."""

    @property
    def passed(self) -> bool:
        return not self.failures


def plausible_until(delivery: str) -> dt.datetime:
    """The latest plausible date in a delivery: PLAUSIBLE_YEARS_AHEAD years after the delivery's date
    (or today, for a folder not named by a date); from 29 February, the end of February of that year."""
    try:
        anchor = dt.datetime.strptime(delivery[:10], "%Y-%m-%d")
    except ValueError:
        anchor = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    year = anchor.year + PLAUSIBLE_YEARS_AHEAD
    return anchor.replace(year=year, day=min(anchor.day, calendar.monthrange(year, anchor.month)[1]))


def build_suite(entity: Entity, stage_names: tuple[str, ...], plausible_until: dt.datetime):
    """The GX expectation suite of one entity, derived from its contract."""
    import great_expectations as gx

    expectations = gx.expectations
    suite = gx.ExpectationSuite(name=f"raw_{entity.source}__{entity.name}")
    for column in entity.columns:
        suite.add_expectation(expectations.ExpectColumnToExist(column=column.name))
    if len(entity.id_columns) == 1:
        suite.add_expectation(expectations.ExpectColumnValuesToBeUnique(column=entity.id_columns[0]))
    else:
        suite.add_expectation(expectations.ExpectCompoundColumnsToBeUnique(column_list=list(entity.id_columns)))
    for column in entity.columns:
        if column.not_null or column.name in entity.id_columns:
            suite.add_expectation(expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.domain is not None:
            values = stage_names if column.domain == STAGE_NAMES else column.domain
            suite.add_expectation(expectations.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(values)))
        if column.min_value is not None or column.max_value is not None:
            suite.add_expectation(
                expectations.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.min_value, max_value=column.max_value
                )
            )
        if column.type in ("date", "timestamp", "epoch"):
            suite.add_expectation(
                expectations.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=EARLIEST_PLAUSIBLE, max_value=plausible_until
                )
            )
        if column.pattern is not None:
            suite.add_expectation(expectations.ExpectColumnValuesToMatchRegex(column=column.name, regex=column.pattern))
    return suite


@cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars in run logs
    asset = context.data_sources.add_pandas("salesops_raw").add_dataframe_asset(name="raw_batch")
    return asset.add_batch_definition_whole_dataframe("whole_batch")


# pandas' nanosecond range: GX compares only nanosecond datetimes column-wise (other units one value at a
# time, 50× slower), so dates beyond it are clipped to its ends, which are implausible dates all the same.
NANOSECOND_RANGE = (dt.datetime(1677, 9, 22), dt.datetime(2262, 4, 11))


def validated_columns(entity: Entity) -> list[str]:
    """What a suite reads: the contract's columns, and the line number its failures name."""
    return [*entity.required_columns, "_line_number"]


def validation_frame(batch: RawBatch) -> pd.DataFrame:
    """The validated columns in types GX compares natively (column-wise)."""
    frame = {}
    for name in validated_columns(batch.entity):
        array = batch.table[name]
        if pa.types.is_decimal(array.type):
            array = array.cast(pa.float64())
        elif pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
            earliest, latest = (pa.scalar(bound, pa.timestamp("us")) for bound in NANOSECOND_RANGE)
            array = array.cast(pa.timestamp("us"))
            array = pc.max_element_wise(array, earliest, skip_nulls=False)
            array = pc.min_element_wise(array, latest, skip_nulls=False)
            array = array.cast(pa.timestamp("ns"))
        frame[name] = array.to_pandas()
    return pd.DataFrame(frame)


_worker: concurrent.futures.ProcessPoolExecutor | None = None


def start_validation_worker() -> None:
    """Start the process that runs Great Expectations, if not yet started; it imports GX (~3 s) meanwhile.

    GX runs in a process of its own so that its import and context overlap
    whatever the caller does first (a run's start-up), on the machine's other
    core. ``validate_batch`` starts it when nobody has.
    """
    global _worker
    if _worker is None:
        _worker = started_process_pool(1, _batch_definition)


def stop_validation_worker() -> None:
    """End the GX process (its memory returns to the machine); the next validation starts another.

    Not waited for: the process's own exit (Python collecting GX's heap) overlaps what the caller does next.
    """
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=False)
        _worker = None


# The pool let go while the interpreter is whole: collected during its teardown instead, it prints
# "Exception ignored in ... weakref_cb" on the terminal.
atexit.register(stop_validation_worker)


def validate_batch(
    batch: RawBatch, stage_names: tuple[str, ...], every_failing_line: bool = False, scratch_dir: Path | None = None
) -> BatchValidation:
    """Run the entity's suite on the batch; with ``every_failing_line``, each failure lists all its rows' lines.

    The suite runs in the GX process (``start_validation_worker``). It gets only the columns it reads, in an
    Arrow file it maps (under ``scratch_dir``, else the system's temporary folder): pickled through the pool's
    pipe, a big batch would be copied once more in each process.
    """
    start_validation_worker()
    with tempfile.TemporaryDirectory(prefix=".validating-", dir=scratch_dir) as scratch:
        columns_file = Path(scratch) / "batch.arrow"
        needed = batch.table.select(validated_columns(batch.entity))
        with pa.OSFile(str(columns_file), "wb") as sink, pa.ipc.new_file(sink, needed.schema) as writer:
            writer.write_table(needed)
        job = (_validate_in_worker, replace(batch, table=None), columns_file, stage_names, every_failing_line)
        try:
            try:
                validation = _worker.submit(*job)
            except concurrent.futures.process.BrokenProcessPool:
                # It ended while idle, before this file: a new process validates it.
                stop_validation_worker()
                start_validation_worker()
                validation = _worker.submit(*job)
            return validation.result()
        except concurrent.futures.process.BrokenProcessPool as broken:
            stop_validation_worker()  # the next validation starts a new process
            raise RuntimeError(
                f"{batch.file.relative_path}: the Great Expectations process was killed while validating this "
                f"file ({batch.rows:,} rows), most likely for lack of memory; nothing of it was loaded. Run again "
                "with more memory free (the largest export file sets the need)."
            ) from broken


def _validate_in_worker(
    batch: RawBatch, columns_file: Path, stage_names: tuple[str, ...], every_failing_line: bool
) -> BatchValidation:
    try:
        with pa.memory_map(str(columns_file)) as source:
            table = pa.ipc.open_file(source).read_all()
            return _run_suite(replace(batch, table=table), stage_names, every_failing_line)
    finally:
        # The batch's pandas copy was allocated by Arrow, whose allocator would keep it resident for reuse.
        pa.default_memory_pool().release_unused()


def _run_suite(batch: RawBatch, stage_names: tuple[str, ...], every_failing_line: bool) -> BatchValidation:
    pause_point("validation")
    batch_definition = _batch_definition()  # creates the GX context a suite needs
    suite = build_suite(batch.entity, stage_names, plausible_until(batch.file.delivery))
    failures: list[Failure] = []
    for column, count in sorted(batch.parse_problem_counts.items()):
        problems = [problem for problem in batch.parse_problems if problem.column == column]
        failures.append(
            Failure(
                expectation="values_parse",
                rule=f"must be {problems[0].expected}",
                column=column,
                unexpected_count=count,
                samples=[{"_line_number": problem.line, column: problem.value} for problem in problems[:SAMPLE_ROWS]],
                lines=batch.unparsed_lines[column] if every_failing_line else [],
            )
        )
    gx_batch = batch_definition.get_batch(batch_parameters={"dataframe": validation_frame(batch)})
    if not failures:
        # Most deliveries pass. A first pass asks only each expectation's verdict, half the cost of a summary
        # (at scale 1, 1.0 s against 2.0 s for the 27 files); a suite that fails runs again, for the counts,
        # samples and lines of its failures.
        verdicts = gx_batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
        if verdicts.success:
            return BatchValidation(
                batch.file.relative_path, batch.rows, len(verdicts.results), [], verdicts.to_json_dict()
            )
    result = gx_batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE" if every_failing_line else "SUMMARY",
            "unexpected_index_column_names": ["_line_number"],
        },
    )
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        column = config.kwargs.get("column") or ", ".join(config.kwargs.get("column_list", []))
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"{batch.file.relative_path}: expectation {config.type} on {column!r} could not run: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        unexpected_count = int(outcome.result.get("unexpected_count") or 0)
        lines = [int(row["_line_number"]) for row in outcome.result.get("unexpected_index_list") or []]
        partial = outcome.result.get("partial_unexpected_index_list") or []
        if config.type == "expect_column_values_to_not_be_null" and column in batch.unparsed_lines:
            # A value that did not parse is null in the batch, but it was not empty in the file: it is
            # reported once, as unparsed, not again as missing.
            unparsed = set(batch.unparsed_lines[column])
            unexpected_count -= len(unparsed)
            lines = [line for line in lines if line not in unparsed]
            partial = [row for row in partial if int(row["_line_number"]) not in unparsed]
            if unexpected_count == 0:
                continue
        samples = [{key: _plain(value) for key, value in row.items()} for row in partial[:SAMPLE_ROWS]]
        failures.append(
            Failure(config.type, column, unexpected_count, samples, _rule(config.type, config.kwargs), lines)
        )
    return BatchValidation(batch.file.relative_path, batch.rows, len(result.results), failures, result.to_json_dict())


def write_validations(directory: Path, entity: Entity, validations: list[BatchValidation]) -> list[Path]:
    """Keep each validation as a JSON file: ours (failures with their lines' samples) and GX's own result."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for validation in validations:
        path = directory / f"{entity.key}--{validation.file.replace('/', '--')}.json"
        summary = {key: value for key, value in asdict(validation).items() if key != "gx_result"}
        summary["passed"] = validation.passed
        document = {"salesops": summary, "great_expectations": validation.gx_result}
        path.write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
        written.append(path)
    if written:
        write_validations_page(directory)
    return written


def write_validations_page(directory: Path) -> Path:
    """``index.html`` over every validation kept in the folder: a plain page that opens offline."""
    rows = []
    for path in sorted(directory.glob("*.json")):
        summary = json.loads(path.read_text(encoding="utf-8"))["salesops"]
        failures = "".join(f"<li>{html.escape(Failure(**failure).describe())}</li>" for failure in summary["failures"])
        rows.append(
            f"<tr><td>{html.escape(summary['file'])}</td><td>{summary['rows']:,}</td><td>{summary['evaluated']}</td>"
            f"<td class={'pass' if summary['passed'] else 'fail'}>{'passed' if summary['passed'] else 'failed'}</td>"
            f"<td><ul>{failures}</ul></td><td><a href='{html.escape(path.name)}'>JSON</a></td></tr>"
        )
    page = directory / "index.html"
    page.write_text(
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>salesops: validations of the run</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;"
        "text-align:left;vertical-align:top}.pass{color:#14532d}.fail{color:#7f1d1d;font-weight:bold}</style>"
        "</head><body><h1>Validations of the new deliveries</h1>"
        "<p>Great Expectations suites from the input contract; each row links the result, ours and GX's (GX's "
        "verdict on each expectation, with counts and samples when the suite failed).</p>"
        "<table><tr><th>file</th><th>rows</th><th>expectations</th><th>result</th><th>failures</th><th></th></tr>"
        + "".join(rows)
        + "</table></body></html>",
        encoding="utf-8",
    )
    return page


def _plain(value):
    """A JSON-friendly copy of a sample value."""
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return value
