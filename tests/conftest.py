"""Shared fixtures: settings isolated per test, and small hand-written exports."""

import contextlib
import csv
import datetime as dt
import email
import email.policy
import functools
import io
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest
from aiosmtpd.controller import Controller

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
                with contextlib.suppress(ValueError):
                    dates.append(dt.date.fromisoformat(delivery.name[:10]))
    return max(dates)


def employees(exports: Path) -> dict[str, dict]:
    """HR employees by Employee # after every delivery (CSV or XLSX), read independently of salesops."""
    records: dict[str, dict] = {}
    for delivery in sorted(path.name for path in (exports / "hr").iterdir()):
        xlsx, plain = exports / "hr" / delivery / "employees.xlsx", exports / "hr" / delivery / "employees.csv"
        if xlsx.exists():
            sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            found = [dict(zip(rows[0], ["" if v is None else str(v) for v in row], strict=False)) for row in rows[1:]]
        elif plain.exists():
            found = read_csv(plain)
        else:
            continue
        records.update({row["Employee #"]: row for row in found})
    return records


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from first's month through last's month."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


@contextlib.contextmanager
def run_environment(exports: Path, data_dir: Path) -> Iterator[None]:
    """The environment of an in-process run: the CLI exports its settings to the environment for dbt."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SALESOPS_DATA_DIR", str(data_dir))
        env.setenv("SALESOPS_EXPORTS_DIR", str(exports))
        env.delenv("DAGSTER_HOME", raising=False)  # an ephemeral Dagster instance per run
        yield


def run_salesops(exports: Path, data_dir: Path, capsys, *options: str) -> tuple[int, str]:
    """`salesops run [options]` in this process on an ephemeral Dagster instance: (exit code, what it printed)."""
    from orchestration.cli import main

    with run_environment(exports, data_dir):
        code = main(["run", "--exports", str(exports), "--data-dir", str(data_dir), *options])
    return code, capsys.readouterr().out


def run_pipeline_once(exports: Path, data_dir: Path) -> tuple[int, str]:
    """`run_salesops` for a fixture shared by several tests (no capsys there): (exit code, what it printed)."""
    from orchestration.cli import run_pipeline

    output = io.StringIO()
    with run_environment(exports, data_dir):
        code = run_pipeline(exports, data_dir, stream=output)
    return code, output.getvalue()


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


@functools.cache
def dbt_manifest() -> dict:
    """dbt's manifest.json of the project (parsed again first when a model, macro or YAML changed)."""
    from orchestration.defs.transform import dbt_project, manifest_is_stale, prepare_manifest
    from salesops.settings import load_settings

    project = dbt_project()
    if manifest_is_stale(project):
        prepare_manifest(load_settings())
    return json.loads(project.manifest_path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DemoRun:
    exports: Path
    data_dir: Path
    exit_code: int
    output: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """One `salesops run` on generated demo exports, shared by the end-to-end test files (a run takes ~20 s)."""
    from demo_exports.generator import generate_exports

    root = tmp_path_factory.mktemp("demo")
    exports, data_dir = root / "exports", root / "data"
    generate_exports(exports, scale=DEMO_SCALE)
    return DemoRun(exports, data_dir, *run_pipeline_once(exports, data_dir))


@pytest.fixture(scope="session")
def pipeline(demo_run) -> tuple[Path, Path]:
    """The shared demo run, which must have succeeded: (exports, data dir)."""
    assert demo_run.exit_code == 0, demo_run.output
    return demo_run.exports, demo_run.data_dir


class Inbox:
    """An aiosmtpd handler that keeps every message it receives, and refuses the mailboxes in ``refused``."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(monkeypatch) -> Inbox:
    """A real SMTP server on 127.0.0.1 that salesops' SMTP settings point at."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SALESOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESOPS_SMTP_PORT", str(port))
    yield handler
    controller.stop()
