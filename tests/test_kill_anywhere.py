"""Kill anywhere, lose nothing: SIGKILL at named points leaves the publication as it was, and the next run
completes without repair by hand; `salesops rollback` restores the publication before it.

The points are the pause points of salesops/faults.py, so the kill lands where it is meant to, not by timing.
"""

import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb

from tests.conftest import published

SALESOPS = Path(sys.executable).with_name("salesops")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(exports: Path, data_dir: Path, *args: str, pause_at: str | None = None, marker: Path | None = None):
    env = {key: value for key, value in os.environ.items() if key not in ("DAGSTER_HOME", "SALESOPS_DATA_DIR")}
    env["GX_ANALYTICS_ENABLED"] = "False"
    if pause_at:
        env.update(SALESOPS_PAUSE_AT=pause_at, SALESOPS_PAUSE_MARKER=str(marker))
    command = [str(SALESOPS), *(args or ("run", "--exports", str(exports))), "--data-dir", str(data_dir)]
    # A session of its own: the kill takes the run's children (dbt, report workers) with it.
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )


def kill_at(point: str, exports: Path, data_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / f"paused-at-{point}"
    process = run(exports, data_dir, pause_at=point, marker=marker)
    deadline = time.monotonic() + 600
    while not marker.exists():
        assert process.poll() is None, f"the run ended before reaching {point}: {process.stdout.read()}"
        assert time.monotonic() < deadline, f"the run never reached {point}"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_killed_while_landing_during_dbt_and_while_publishing_the_publication_survives(pipeline, tmp_path):
    exports, data_dir = tmp_path / "exports", tmp_path / "data"
    shutil.copytree(pipeline[0], exports)
    shutil.copytree(pipeline[1], data_dir, symlinks=True)
    database = data_dir / "warehouse" / "salesops.duckdb"
    before = digest(database)
    marts = published(data_dir, "select table_name from information_schema.tables where table_schema = 'marts'")

    # A new delivery that changes one open deal's amount.
    last = sorted((exports / "crm").iterdir())[-1] / "Opportunity.csv"
    with open(last, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        deal = next(row for row in reader if row["IsClosed"] == "false" and row["Amount"])
        header = reader.fieldnames
    new_amount = Decimal(deal["Amount"]) + Decimal("1234.00")
    delivery = exports / "crm" / "2026-11-28" / "Opportunity.csv"
    delivery.parent.mkdir()
    with open(delivery, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerow(dict(deal, Amount=f"{new_amount:.2f}"))

    for point in ("landing", "dbt", "publish"):
        kill_at(point, exports, data_dir, tmp_path)
        assert digest(database) == before, f"killed at {point}: the published file changed"
        with duckdb.connect(str(database), read_only=True) as reader:  # and it opens
            assert reader.execute("select count(*) from marts.fct_opportunities").fetchone()[0] > 0
        if point == "landing":  # staged beside the lake, not in it (the next run removes it)
            assert any((data_dir / "lake" / ".incoming").iterdir())
            assert not (data_dir / "lake" / "raw" / "crm" / "opportunity" / "delivery=2026-11-28").exists()
        if point == "publish":  # parquet/ was switched to the new publication; the DuckDB file was not
            assert (data_dir / "warehouse" / "parquet").resolve().parent.name > max(
                path.name for path in (pipeline[1] / "warehouse" / "publications").iterdir()
            )

    finished = run(exports, data_dir)
    output, _ = finished.communicate(timeout=900)
    assert finished.returncode == 0, output
    assert not (data_dir / "lake" / ".incoming").exists()
    amount = published(data_dir, f"select amount from marts.fct_opportunities where opportunity_id = '{deal['Id']}'")
    assert amount == [(new_amount,)]
    assert published(data_dir, "select table_name from marts.rpt_deliveries where delivery_id = '2026-11-28'") == [
        ("opportunity",)
    ]
    assert published(data_dir, "select table_name from information_schema.tables where table_schema = 'marts'") == marts

    rolled_back = run(exports, data_dir, "rollback")
    output, _ = rolled_back.communicate(timeout=120)
    assert rolled_back.returncode == 0 and "restored publication" in output, output
    assert digest(database) == before
    parquet = data_dir / "warehouse" / "parquet" / "fct_opportunities" / "data.parquet"
    with duckdb.connect() as reader:
        (old_amount,) = reader.execute(
            f"select amount from read_parquet('{parquet}') where opportunity_id = ?", [deal["Id"]]
        ).fetchone()
    assert old_amount == Decimal(deal["Amount"])
