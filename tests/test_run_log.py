"""The run log: every run's record under the data dir, published as ops.runs; check results kept as files."""

import datetime as dt
import json
from pathlib import Path

from publishing.run_log import RUN_LOG, RunRecord, append_run, read_runs
from tests.conftest import published


def record(run_id: str, status: str) -> RunRecord:
    return RunRecord(
        run_id, dt.datetime(2026, 11, 27, 6), dt.datetime(2026, 11, 27, 6, 5), status, None, 1, 0, 3, 0, 0, ""
    )


def test_a_run_logged_twice_counts_by_its_last_record_and_a_cut_line_loses_nothing_else(tmp_path):
    append_run(tmp_path, record("a", "published"))
    with open(tmp_path / RUN_LOG, "a", encoding="utf-8") as log:
        log.write('{"run_id": "b", "sta')  # a process killed mid-line
    append_run(tmp_path, record("c", "failed"))
    append_run(tmp_path, record("a", "succeeded"))
    assert [(run.run_id, run.status) for run in read_runs(tmp_path)] == [("a", "succeeded"), ("c", "failed")]


def test_the_publication_carries_the_run_that_made_it(pipeline, demo_run):
    exports, data_dir = pipeline
    delivered = [path for path in Path(exports).glob("*/*/*") if path.is_file()]
    # Other tests may run the pipeline again on this data dir: the demo's run is the first.
    runs = published(
        data_dir,
        "select run_id, status, as_of_date, deliveries_loaded, rows_quarantined, checks_failed, checks_passed, "
        "results_dir from ops.runs order by started_at",
    )
    run_id, _, as_of, deliveries, quarantined, failed, passed, results_dir = runs[0]
    assert (as_of, deliveries, quarantined, failed) == (
        max(dt.date.fromisoformat(path.parent.name) for path in delivered),
        len(delivered),
        0,
        0,
    )
    assert passed > 100  # the raw gates and every dbt test
    assert runs[-1][1] == "published"  # the run that made this publication, logged by its publish step
    # The log under the data dir has the demo run's end, written when it finished.
    assert (run_id, "succeeded") in [(run.run_id, run.status) for run in read_runs(data_dir / "runs")]
    # Each new delivery's validation is kept: ours and Great Expectations' own result.
    validations = sorted(Path(results_dir, "validations").glob("*.json"))
    gated = [path for path in delivered if not path.name.startswith("comp_plans")]
    assert len(validations) == len(gated)
    document = json.loads(validations[0].read_text(encoding="utf-8"))
    assert document["salesops"]["passed"] is True and document["great_expectations"]["success"] is True
    # A page over them that opens offline, named in the run's summary.
    page = Path(results_dir, "validations", "index.html")
    assert page.read_text(encoding="utf-8").count("<td class=pass>passed</td>") == len(gated)
    assert f"Validations: {page}" in demo_run.output
