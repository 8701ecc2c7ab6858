"""Landing deliveries in the raw lake: once, in order, gated, never overwritten."""

import datetime as dt
import subprocess
import sys

import duckdb
import pytest

from ingestion.contracts import entity
from ingestion.ingest import ingest_entity
from ingestion.lake import RawLake
from ingestion.readers import ExportError
from salesops.settings import load_settings
from tests.conftest import OPPORTUNITY_HEADER, write

OPPORTUNITY = entity("crm.opportunity")
STAGES = load_settings({}).stage_names
NOW = dt.datetime(2026, 11, 27, 6, 0, 0)


def opportunity_row(opportunity_id, stage="Prospecting", amount="1000.00", deleted="false", close="2026-12-15"):
    won = "true" if stage == "Closed Won" else "false"
    closed = "true" if stage.startswith("Closed") else "false"
    return (
        f"{opportunity_id},Deal {opportunity_id},001A,005A,New Business,Web,{stage},{amount},10,Pipeline,"
        f"{close},2026-10-01T09:00:00.000Z,{closed},{won},2026-11-01T09:00:00.000Z,{deleted}\n"
    )


@pytest.fixture
def exports(tmp_path):
    root = tmp_path / "exports"
    write(
        root / "crm" / "2026-11-25" / "Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity_row("006A") + opportunity_row("006B"),
    )
    return root


def lake_rows(lake_dir, sql):
    glob = f"{lake_dir}/raw/crm/opportunity/*/*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            sql.format(raw=f"read_parquet('{glob}', union_by_name = true, hive_partitioning = false)")
        ).fetchall()


def test_deliveries_land_once_and_in_order(exports, tmp_path):
    lake_dir = tmp_path / "lake"
    first = ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    assert first.passed and len(first.landed) == 1 and first.rows_landed == 2

    again = ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    assert again.landed == [] and [f.delivery for f in again.unchanged] == ["2026-11-25"]

    write(
        exports / "crm" / "2026-11-26" / "Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity_row("006A", "Closed Won", "1200.00")
        + opportunity_row("006B", deleted="true"),
    )
    second = ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    assert [batch.file.delivery for batch in second.batches] == ["2026-11-26"]
    assert lake_rows(lake_dir, "select _delivery, count(*) from {raw} group by 1 order by 1") == [
        ("2026-11-25", 2),
        ("2026-11-26", 2),
    ]
    loaded = RawLake(lake_dir).table_deliveries(OPPORTUNITY.source, OPPORTUNITY.name)
    assert [delivery.delivery for delivery in loaded] == ["2026-11-25", "2026-11-26"]


def test_a_changed_loaded_delivery_is_an_error_and_changes_nothing(exports, tmp_path):
    lake_dir = tmp_path / "lake"
    ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    before = lake_rows(lake_dir, "select * exclude (_loaded_at) from {raw} order by Id")
    write(
        exports / "crm" / "2026-11-25" / "Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity_row("006A", amount="5.00"),
    )
    with pytest.raises(ExportError) as raised:
        ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    assert "crm/2026-11-25/Opportunity.csv" in str(raised.value) and "new delivery folder" in str(raised.value)
    assert lake_rows(lake_dir, "select * exclude (_loaded_at) from {raw} order by Id") == before


def test_quality_failures_land_nothing_and_name_line_and_value(exports, tmp_path):
    lake_dir = tmp_path / "lake"
    write(
        exports / "crm" / "2026-11-26" / "Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity_row("006C", stage="Demo Booked")
        + opportunity_row("006C", amount="-5.00")
        + opportunity_row("006D", close="1899-01-01"),
    )
    outcome = ingest_entity(OPPORTUNITY, exports, lake_dir, STAGES, NOW)
    assert not outcome.passed and outcome.landed == []
    failures = {(f.expectation, f.column): f for v in outcome.validations for f in v.failures}
    unknown_stage = failures[("expect_column_values_to_be_in_set", "StageName")]
    assert unknown_stage.unexpected_count == 1 and unknown_stage.samples[0] == {
        "_line_number": 2,
        "StageName": "Demo Booked",
    }
    assert failures[("expect_column_values_to_be_unique", "Id")].unexpected_count == 2
    assert failures[("expect_column_values_to_be_between", "Amount")].samples[0]["_line_number"] == 3
    assert failures[("expect_column_values_to_be_between", "CloseDate")].samples[0]["_line_number"] == 4
    # The good first delivery in the same folder is not landed either: the entity lands all or nothing.
    assert not (lake_dir / "raw" / "crm" / "opportunity" / "delivery=2026-11-25").exists()


def test_a_passing_delivery_is_judged_on_every_expectation_and_a_failing_one_gets_its_counts(exports, tmp_path):
    """Validation asks GX for verdicts first; only a failing suite runs again for counts, samples and lines."""
    passing = ingest_entity(OPPORTUNITY, exports, tmp_path / "lake", STAGES, NOW)
    expected = passing.validations[0].evaluated
    assert expected > 10  # the opportunity suite: columns, types, sets, ranges, uniqueness
    for validation in passing.validations:
        assert validation.passed and validation.evaluated == expected
        verdicts = validation.gx_result["results"]
        assert len(verdicts) == expected and all(verdict["success"] for verdict in verdicts)
    write(
        exports / "crm" / "2026-11-26" / "Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity_row("006C", amount="-5.00") + opportunity_row("006D"),
    )
    failing = ingest_entity(OPPORTUNITY, exports, tmp_path / "lake", STAGES, NOW)
    (validation,) = [validation for validation in failing.validations if not validation.passed]
    assert validation.evaluated == expected
    assert [(f.column, f.unexpected_count, f.samples[0]["_line_number"]) for f in validation.failures] == [
        ("Amount", 1, 2)
    ]


def test_files_directly_under_the_source_form_the_implicit_first_delivery(tmp_path):
    root = tmp_path / "exports"
    write(root / "crm" / "Opportunity.csv", OPPORTUNITY_HEADER + "\n" + opportunity_row("006Z"))
    outcome = ingest_entity(OPPORTUNITY, root, tmp_path / "lake", STAGES, NOW)
    assert [batch.file.delivery for batch in outcome.batches] == ["0000-00-00"]


def test_an_entity_never_delivered_reads_as_an_empty_typed_table(tmp_path):
    lake_dir = tmp_path / "lake"
    ingest_entity(entity("crm.opportunity_split"), tmp_path / "no-exports", lake_dir, STAGES, NOW)
    glob = f"{lake_dir}/raw/crm/opportunity_split/*/*.parquet"
    with duckdb.connect() as con:
        described = dict(
            con.execute(f"describe select * from read_parquet('{glob}')").fetchall()[i][:2] for i in range(7)
        )
        assert con.execute(f"select count(*) from read_parquet('{glob}')").fetchone()[0] == 0
    assert described["SplitPercentage"] == "DOUBLE" and described["IsDeleted"] == "BOOLEAN"


def test_a_delivery_dated_29_february_has_a_plausible_horizon():
    """Ten years after 29 February 2024 there is no 29 February: the horizon is the end of February 2034."""
    from ingestion.quality import PLAUSIBLE_YEARS_AHEAD, plausible_until

    assert PLAUSIBLE_YEARS_AHEAD == 10
    assert plausible_until("2024-02-29") == dt.datetime(2034, 2, 28)
    assert plausible_until("2024-02-29T06-00-00") == dt.datetime(2034, 2, 28)
    assert plausible_until("2026-11-26") == dt.datetime(2036, 11, 26)


def test_great_expectations_runs_in_a_process_of_its_own_that_a_new_validation_restarts(exports, tmp_path):
    """The caller never imports GX (its import and memory stay in the worker), and a stopped worker comes back."""
    script = f"""
import datetime as dt, sys
from pathlib import Path
from ingestion.contracts import entity
from ingestion.ingest import ingest_entity
from ingestion.quality import stop_validation_worker
from salesops.settings import load_settings
stages = load_settings({{}}).stage_names
now = dt.datetime(2026, 11, 27, 6)
first = ingest_entity(entity("crm.opportunity"), Path({str(exports)!r}), Path({str(tmp_path / "lake")!r}), stages, now)
stop_validation_worker()
bad = Path({str(exports)!r}) / "crm" / "2026-11-26" / "Opportunity.csv"
bad.parent.mkdir()
bad.write_text({OPPORTUNITY_HEADER + chr(10) + opportunity_row("006C", stage="Demo Booked")!r})
second = ingest_entity(entity("crm.opportunity"), Path({str(exports)!r}), Path({str(tmp_path / "lake")!r}), stages, now)
print(first.passed, first.rows_landed, second.passed, [f.column for v in second.validations for f in v.failures])
print("great_expectations" in sys.modules)
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines() == ["True 2 False ['StageName']", "False"]


def test_a_validation_process_that_dies_is_replaced_or_named_in_a_clear_error(exports, tmp_path):
    """Killed while idle (as the kernel does when memory runs short), the GX process is replaced and the file is
    validated; killed while validating a file, the error names the file, nothing lands, and a re-run lands it."""
    script = f"""
import datetime as dt, os, signal, threading, time
from pathlib import Path
from ingestion import quality
from ingestion.contracts import entity
from ingestion.ingest import ingest_entity
from salesops.settings import load_settings
stages, now, exports = load_settings({{}}).stage_names, dt.datetime(2026, 11, 27, 6), Path({str(exports)!r})
marker = Path({str(tmp_path / "paused")!r})

def kill_the_validation_process():
    for process in list(quality._worker._processes.values()):
        os.kill(process.pid, signal.SIGKILL)

quality.start_validation_worker()
time.sleep(2)
kill_the_validation_process()
time.sleep(1)
print(ingest_entity(entity("crm.opportunity"), exports, Path({str(tmp_path / "lake-1")!r}), stages, now).rows_landed)

os.environ.update(SALESOPS_PAUSE_AT="validation", SALESOPS_PAUSE_MARKER=str(marker))
quality.stop_validation_worker()  # the next one starts with the pause point set

def kill_when_paused():
    while not marker.exists():
        time.sleep(0.1)
    kill_the_validation_process()

threading.Thread(target=kill_when_paused, daemon=True).start()
lake = Path({str(tmp_path / "lake-2")!r})
try:
    ingest_entity(entity("crm.opportunity"), exports, lake, stages, now)
except RuntimeError as error:
    print(error)
print((lake / "raw" / "crm" / "opportunity" / "delivery=2026-11-25").exists())
del os.environ["SALESOPS_PAUSE_AT"]
print(ingest_entity(entity("crm.opportunity"), exports, lake, stages, now).rows_landed)
"""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    replaced, error, landed_after_the_failure, landed_by_the_rerun = completed.stdout.splitlines()
    assert replaced == "2"
    assert error.startswith("crm/2026-11-25/Opportunity.csv: the Great Expectations process was killed")
    assert "(2 rows)" in error and "nothing of it was loaded" in error
    assert landed_after_the_failure == "False" and landed_by_the_rerun == "2"
