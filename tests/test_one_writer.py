"""One writer of a data dir at a time: a second run is refused at once, changes nothing, and says why."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salesops.data_dir_lock import exclusive_data_dir
from tests.conftest import published

SALESOPS = Path(sys.executable).with_name("salesops")


def start_run(exports: Path, data_dir: Path, *options: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key not in ("DAGSTER_HOME", "SALESOPS_DATA_DIR")}
    return subprocess.Popen(
        [str(SALESOPS), "run", "--exports", str(exports), "--data-dir", str(data_dir), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "GX_ANALYTICS_ENABLED": "False"},
    )


def test_a_run_is_refused_while_the_data_dir_is_held_and_changes_nothing(pipeline, tmp_path):
    exports, data_dir = pipeline
    publication = data_dir / "warehouse" / "salesops.duckdb"
    before = publication.read_bytes()
    lake_files = sorted(path for path in (data_dir / "lake").rglob("*") if path.is_file())
    with exclusive_data_dir(data_dir, "a test holding the lock"):
        run = start_run(exports, data_dir)
        output, _ = run.communicate(timeout=300)
    assert run.returncode == 1, output
    assert f"{data_dir} is in use by another salesops run (a test holding the lock, pid {os.getpid()}" in output
    assert "nothing was published" in output
    assert publication.read_bytes() == before
    assert sorted(path for path in (data_dir / "lake").rglob("*") if path.is_file()) == lake_files


def test_two_runs_at_once_one_publishes_the_other_is_refused(pipeline, tmp_path):
    exports, _ = pipeline
    data_dir = tmp_path / "data"
    runs = [start_run(exports, data_dir), start_run(exports, data_dir)]
    outcomes = [(run.wait(timeout=600), run.stdout.read()) for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 1], outcomes
    refused = next(output for code, output in outcomes if code == 1)
    assert "the run could not start: " in refused and "is in use by another salesops run (Dagster run " in refused
    assert "Nothing was changed" in refused
    # One publication, complete: the marts are there and open.
    assert published(data_dir, "select count(*) from marts.fct_opportunities")[0][0] > 100
    assert not (data_dir / "salesops.lock").read_text(encoding="utf-8").strip()  # released, and says so


def test_a_landing_left_by_a_killed_run_is_invisible_to_the_next(pipeline, tmp_path):
    """A run killed while writing a Parquet file leaves it half-written in the lake's landing folder,
    outside the raw layer: the next run neither reads nor trips on it."""
    exports, data_dir = pipeline
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy, symlinks=True)
    leftover = copy / "lake" / ".incoming" / "0123abcd" / "opportunity" / "Opportunity.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"PAR1 cut short")
    before = published(copy, "select source_name, table_name, delivery_id, row_count from marts.rpt_deliveries")
    run = start_run(exports, copy, "--full-refresh")  # the same exports: without it, nothing would run
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output
    after = published(copy, "select source_name, table_name, delivery_id, row_count from marts.rpt_deliveries")
    assert sorted(after) == sorted(before)


def _write_marker(out: Path, text: str) -> None:
    (out / "crm").mkdir(parents=True)
    (out / "crm" / "marker.txt").write_text(text, encoding="utf-8")


def test_demo_exports_appear_whole_or_not_at_all(tmp_path, monkeypatch):
    """`salesops run` without --exports generates demo exports once; a stopped or concurrent first run
    never leaves a half-written drop folder for the next run to ingest."""
    import demo_exports.generator as generator
    from orchestration.cli import demo_exports_in

    data_dir = tmp_path / "data"

    def stopped(out: Path, scale: float) -> None:
        _write_marker(out, "half")
        raise KeyboardInterrupt  # the run was stopped while generating

    monkeypatch.setattr(generator, "generate_exports", stopped)
    with pytest.raises(KeyboardInterrupt):
        demo_exports_in(data_dir)
    assert list(data_dir.iterdir()) == []  # neither a drop folder nor the scratch one

    def beaten(out: Path, scale: float) -> None:
        _write_marker(out, "second")
        _write_marker(data_dir / "demo-exports", "first")  # another first run finished meanwhile

    monkeypatch.setattr(generator, "generate_exports", beaten)
    exports = demo_exports_in(data_dir)
    assert exports == data_dir / "demo-exports"
    assert (exports / "crm" / "marker.txt").read_text(encoding="utf-8") == "first"
    assert sorted(path.name for path in data_dir.iterdir()) == ["demo-exports"]

    monkeypatch.setattr(generator, "generate_exports", stopped)
    assert demo_exports_in(data_dir) == exports  # there: nothing is generated again
