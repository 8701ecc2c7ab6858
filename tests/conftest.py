"""Shared fixtures: settings isolated per test, and small hand-written exports."""

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

OPPORTUNITY_HEADER = (
    "Id,Name,AccountId,OwnerId,Type,LeadSource,StageName,Amount,Probability,ForecastCategoryName,"
    "CloseDate,CreatedDate,IsClosed,IsWon,LastModifiedDate,IsDeleted"
)


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def read_csv(path: Path) -> list[dict]:
    """An export CSV as the systems write it (UTF-8, maybe with a BOM), read independently of salesops."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def deliveries(exports: Path, source: str) -> list[Path]:
    """A source's delivery folders in arrival (name) order."""
    return sorted((path for path in (exports / source).iterdir() if path.is_dir()), key=lambda path: path.name)


def upserted(exports: Path, source: str, filename: str, key: str) -> dict[str, dict]:
    """Records by id after every delivery of a source, in folder order (a later delivery wins)."""
    records: dict[str, dict] = {}
    for delivery in deliveries(exports, source):
        if (delivery / filename).exists():
            records.update({row[key]: row for row in read_csv(delivery / filename)})
    return records


def as_of_date(exports: Path) -> dt.date:
    """The date of the latest delivery named by an ISO date, over every source (inputs.md)."""
    dates = []
    for source in ("crm", "billing", "hr", "planning", "surveys"):
        if (exports / source).is_dir():
            for delivery in deliveries(exports, source):
                try:
                    dates.append(dt.date.fromisoformat(delivery.name[:10]))
                except ValueError:
                    pass
    return max(dates)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from first's month through last's month."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def published(data_dir: Path, sql: str) -> list[tuple]:
    """Query the published marts as a BI reader would (read-only)."""
    with duckdb.connect(str(data_dir / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("SALESOPS_DATA_DIR", str(directory))
    return directory


DEMO_SCALE = 0.3


@dataclass(frozen=True)
class DemoRun:
    exports: Path
    data_dir: Path
    exit_code: int
    output: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """One `salesops run` on generated demo exports, shared by the end-to-end test files (a run takes ~20 s)."""
    from ingestion.demo import generate_exports
    from orchestration.cli import run_pipeline

    root = tmp_path_factory.mktemp("demo")
    exports, data_dir = root / "exports", root / "data"
    generate_exports(exports, scale=DEMO_SCALE)
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as env:  # the CLI exports its settings to the environment for dbt
        env.setenv("SALESOPS_DATA_DIR", str(data_dir))
        env.setenv("SALESOPS_EXPORTS_DIR", str(exports))
        env.delenv("DAGSTER_HOME", raising=False)  # an ephemeral Dagster instance per run
        code = run_pipeline(exports, data_dir, stream=output)
    return DemoRun(exports, data_dir, code, output.getvalue())


@pytest.fixture(scope="session")
def pipeline(demo_run) -> tuple[Path, Path]:
    """The shared demo run, which must have succeeded: (exports, data dir)."""
    assert demo_run.exit_code == 0, demo_run.output
    return demo_run.exports, demo_run.data_dir
