"""The run log: one record per pipeline run, kept under the data dir and published as ``ops.runs``.

Readers of the marts see from it how fresh and how trustworthy they are: when
each run started and ended, whether it published, the as-of date it published,
the deliveries it loaded, the rows it set aside, and its checks. A run that
publishes is logged by its publish step (status ``published``; the publication
carries it); its end and a failed run's are logged when the run ends, and reach
readers with the next publication. The log is append-only JSON lines; a run
logged twice counts by its last record.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pyarrow as pa

RUN_LOG = "runs.jsonl"


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    status: str
    """published (its publish step), succeeded, failed."""
    as_of_date: dt.date | None
    """The as-of date the run published (None when it published nothing)."""
    deliveries_loaded: int
    rows_quarantined: int
    checks_passed: int
    checks_failed: int
    checks_warned: int
    results_dir: str
    """Where the run's check results are kept (Great Expectations validations)."""


RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("ended_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("as_of_date", pa.date32()),
        ("deliveries_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("checks_passed", pa.int64()),
        ("checks_failed", pa.int64()),
        ("checks_warned", pa.int64()),
        ("results_dir", pa.string()),
    ]
)


def append_run(runs_dir: Path, record: RunRecord) -> None:
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / RUN_LOG
    # A line a killed process left unfinished must not swallow this record.
    unfinished = path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with open(path, "a", encoding="utf-8") as log:
        log.write(("\n" if unfinished else "") + json.dumps(asdict(record), default=str) + "\n")


def read_runs(runs_dir: Path) -> list[RunRecord]:
    """Every run, by its last record, in the order the runs were first logged."""
    path = runs_dir / RUN_LOG
    if not path.exists():
        return []
    by_run: dict[str, RunRecord] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a killed process
            continue
        values["started_at"] = _timestamp(values["started_at"])
        values["ended_at"] = _timestamp(values["ended_at"])
        values["as_of_date"] = dt.date.fromisoformat(values["as_of_date"]) if values["as_of_date"] else None
        by_run[values["run_id"]] = RunRecord(**{field.name: values[field.name] for field in fields(RunRecord)})
    return list(by_run.values())


def runs_table(records: list[RunRecord]) -> pa.Table:
    return pa.Table.from_pylist([asdict(record) for record in records], schema=RUN_SCHEMA)


def _timestamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None
