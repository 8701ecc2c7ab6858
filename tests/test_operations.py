"""Schedule, arrival sensor, failure alert and freshness checks, evaluated as the daemon would."""

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from ingestion.lake import RawLake
from ingestion.readers import ExportFile
from orchestration.defs.operations import (
    ARRIVAL_SENSOR,
    FAILURE_ALERT_SENSOR,
    build_arrival_sensor,
    build_failure_alert_sensor,
    build_freshness_check,
    build_nightly_schedule,
)
from orchestration.resources import SettingsResource
from salesops.settings import load_settings
from tests.conftest import free_port

SETTLE_SECONDS = 60


def settings_resources() -> dict[str, SettingsResource]:
    """The settings resource from the environment the test set, as the definitions would bind it."""
    return {"settings": SettingsResource.from_settings(load_settings())}


@pytest.fixture
def pipeline_job():
    return dg.define_asset_job("salesops_pipeline", selection=dg.AssetSelection.all())


@pytest.fixture
def exports(tmp_path, monkeypatch, data_dir) -> Path:
    directory = tmp_path / "exports"
    directory.mkdir()
    monkeypatch.setenv("SALESOPS_EXPORTS_DIR", str(directory))
    monkeypatch.setenv("SALESOPS_ARRIVAL_SETTLE_SECONDS", str(SETTLE_SECONDS))
    return directory


def deliver(exports: Path, source: str, delivery: str, filename: str, age_seconds: float) -> Path:
    """A delivery folder with one file, last modified ``age_seconds`` ago (the folder too)."""
    folder = exports / source / delivery
    folder.mkdir(parents=True)
    (folder / filename).write_text("Id\n1\n", encoding="utf-8")
    stamp = time.time() - age_seconds
    for path in (folder / filename, folder):
        os.utime(path, (stamp, stamp))
    return folder


def land(lake_dir: Path, source: str, table: str, delivery: str, loaded_at: dt.datetime) -> None:
    """Land a one-row table in the raw lake, as ingestion does (manifest included)."""
    file = ExportFile(source, delivery, Path(f"{table}.csv"), f"{source}/{delivery}/{table}.csv")
    RawLake(lake_dir).commit_tables(source, {table: pa.table({"Id": ["1"]})}, file, f"hash-{delivery}", loaded_at)


def evaluate(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, sensor_name=ARRIVAL_SENSOR, resources=settings_resources()
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult), result
    return result


def test_nightly_schedule_runs_in_the_configured_time_zone(monkeypatch, pipeline_job):
    monkeypatch.setenv("SALESOPS_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SALESOPS_NIGHTLY_CRON", "30 4 * * 1-5")
    schedule = build_nightly_schedule(pipeline_job, load_settings().operations)
    assert schedule.name == "salesops_nightly"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.cron_schedule == "30 4 * * 1-5"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_nightly_schedule_names_the_setting_of_a_bad_cron(monkeypatch, pipeline_job):
    monkeypatch.setenv("SALESOPS_NIGHTLY_CRON", "every night")
    with pytest.raises(ValueError, match="SALESOPS_NIGHTLY_CRON=every night"):
        build_nightly_schedule(pipeline_job, load_settings().operations)


def test_arrival_sensor_starts_one_run_per_new_delivery(exports, pipeline_job):
    sensor = build_arrival_sensor(pipeline_job)
    deliver(exports, "crm", "2026-11-27", "Opportunity.csv", age_seconds=600)
    deliver(exports, "billing", "2026-11-27", "invoices.csv", age_seconds=600)
    with dg.instance_for_test() as instance:
        first = evaluate(sensor, instance, cursor=json.dumps([]))
        assert [request.run_key for request in first.run_requests] == ["delivery:2026-11-27"]
        assert first.run_requests[0].tags == {"salesops/delivery": "2026-11-27", "salesops/sources": "billing,crm"}
        assert json.loads(first.cursor) == ["billing/2026-11-27", "crm/2026-11-27"]

        again = evaluate(sensor, instance, cursor=first.cursor)
        assert again.run_requests == []
        assert "No new delivery folder" in again.skip_reason.skip_message

        deliver(exports, "hr", "2026-11-28", "employees.csv", age_seconds=600)
        third = evaluate(sensor, instance, cursor=again.cursor)
        assert [request.run_key for request in third.run_requests] == ["delivery:2026-11-28"]
        assert third.run_requests[0].tags["salesops/sources"] == "hr"

        # A folder that disappears and comes back (a re-copy) is not a new delivery.
        for path in (exports / "crm" / "2026-11-27").iterdir():
            path.unlink()
        (exports / "crm" / "2026-11-27").rmdir()
        deliver(exports, "crm", "2026-11-27", "Opportunity.csv", age_seconds=600)
        assert evaluate(sensor, instance, cursor=third.cursor).run_requests == []


def test_arrival_sensor_waits_until_a_copy_has_settled(exports, pipeline_job):
    sensor = build_arrival_sensor(pipeline_job)
    folder = deliver(exports, "crm", "2026-11-27", "Opportunity.csv", age_seconds=SETTLE_SECONDS / 2)
    with dg.instance_for_test() as instance:
        copying = evaluate(sensor, instance, cursor=json.dumps([]))
        assert copying.run_requests == []
        assert "crm/2026-11-27" in copying.skip_reason.skip_message
        assert json.loads(copying.cursor) == []

        stamp = time.time() - SETTLE_SECONDS - 1
        for path in (folder / "Opportunity.csv", folder):
            os.utime(path, (stamp, stamp))
        settled = evaluate(sensor, instance, cursor=copying.cursor)
        assert [request.run_key for request in settled.run_requests] == ["delivery:2026-11-27"]


def test_arrival_sensor_waits_for_every_folder_of_a_delivery(exports, pipeline_job):
    sensor = build_arrival_sensor(pipeline_job)
    deliver(exports, "crm", "2026-11-27", "Opportunity.csv", age_seconds=600)
    deliver(exports, "hr", "2026-11-27", "employees.csv", age_seconds=1)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, instance, cursor=json.dumps([]))
        assert result.run_requests == []
        assert "hr/2026-11-27" in result.skip_reason.skip_message


def test_arrival_sensor_gives_a_late_folder_of_a_started_delivery_its_own_run(exports, pipeline_job):
    sensor = build_arrival_sensor(pipeline_job)
    deliver(exports, "hr", "2026-11-27", "employees.csv", age_seconds=600)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, instance, cursor=json.dumps(["crm/2026-11-27"]))
        assert [request.run_key for request in result.run_requests] == ["delivery:2026-11-27:hr"]


def test_arrival_sensor_first_tick_does_not_replay_the_lake(exports, data_dir, pipeline_job):
    sensor = build_arrival_sensor(pipeline_job)
    deliver(exports, "crm", "2026-11-26", "Opportunity.csv", age_seconds=600)
    deliver(exports, "crm", "2026-11-27", "Opportunity.csv", age_seconds=600)
    land(data_dir / "lake", "crm", "opportunity", "2026-11-26", dt.datetime(2026, 11, 26, 5))
    with dg.instance_for_test() as instance:
        first = evaluate(sensor, instance, cursor=None)
        assert [request.run_key for request in first.run_requests] == ["delivery:2026-11-27"]
        assert json.loads(first.cursor) == ["crm/2026-11-26", "crm/2026-11-27"]


def test_arrival_sensor_skips_when_the_drop_folder_is_missing(tmp_path, monkeypatch, data_dir, pipeline_job):
    monkeypatch.setenv("SALESOPS_EXPORTS_DIR", str(tmp_path / "nowhere"))
    with dg.instance_for_test() as instance:
        result = build_arrival_sensor(pipeline_job)(
            dg.build_sensor_context(instance=instance, resources=settings_resources())
        )
    assert isinstance(result, dg.SkipReason)
    assert f"{tmp_path / 'nowhere'} does not exist" in result.skip_message


@pytest.fixture
def inbox(inbox, data_dir):
    """The SMTP server of conftest, with the data dir set (the alert names it)."""
    return inbox


@dg.op
def load_crm():
    raise dg.Failure(description="crm/2026-11-27/Opportunity.csv: column 'StageName' is missing.")


@dg.job
def failing_job():
    load_crm()


def failure_context(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name=FAILURE_ALERT_SENSOR,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources=settings_resources(),
    ).for_run_failure()


def test_failure_alert_emails_the_failed_step_and_error(inbox, monkeypatch, data_dir):
    monkeypatch.setenv("SALESOPS_ALERT_EMAIL", "ops@example.com")
    land(data_dir / "lake", "hr", "employee", "2026-11-26", dt.datetime(2026, 11, 26, 5))
    with dg.instance_for_test() as instance:
        context = failure_context(instance)
        assert build_failure_alert_sensor()(context) is None
    run_id = context.dagster_run.run_id

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ops@example.com"] and message["To"] == "ops@example.com"
    assert message["Subject"] == "salesops: run of failing_job failed at load_crm"
    body = message.get_content()
    assert "Failed steps: load_crm" in body
    assert "crm/2026-11-27/Opportunity.csv: column 'StageName' is missing." in body
    assert f"Run id: {run_id}" in body
    assert f"Data dir: {data_dir} (as of delivery 2026-11-26)" in body


def test_failure_alert_lists_failed_blocking_checks(inbox, monkeypatch, data_dir):
    monkeypatch.setenv("SALESOPS_ALERT_EMAIL", "ops@example.com")

    @dg.asset(check_specs=[dg.AssetCheckSpec("raw_batch_valid", asset="opportunity", blocking=True)])
    def opportunity():
        yield dg.AssetCheckResult(passed=False, description="3 stage names not in the stage map")
        raise dg.Failure(description="the quality gate failed, nothing was loaded")

    with dg.instance_for_test() as instance:
        result = dg.materialize([opportunity], instance=instance, raise_on_error=False)
        context = dg.build_run_status_sensor_context(
            sensor_name=FAILURE_ALERT_SENSOR,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event(),
            resources=settings_resources(),
        ).for_run_failure()
        build_failure_alert_sensor()(context)

    lines = inbox.messages[0][1].get_content().splitlines()
    checks = lines.index("Failed blocking checks:")
    assert lines[checks + 1] == "  opportunity raw_batch_valid: 3 stage names not in the stage map"
    assert "  dagster._core.definitions.events.Failure: the quality gate failed, nothing was loaded" in lines


def test_failure_alert_of_a_run_that_failed_outside_its_steps(inbox, monkeypatch, data_dir):
    """E.g. the run worker could not load the code: the cause is an engine event, not a step failure."""
    from dagster._core.events import EngineEventData
    from dagster._utils.error import serializable_error_info_from_exc_info

    monkeypatch.setenv("SALESOPS_ALERT_EMAIL", "ops@example.com")
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(job_def=failing_job)
        try:
            raise dg.DagsterInvalidDefinitionError("@asset 'report_pack': the context type hint is wrong")
        except dg.DagsterInvalidDefinitionError:
            error = serializable_error_info_from_exc_info(sys.exc_info())
        instance.report_engine_event("Could not load job definition.", run, EngineEventData.engine_error(error))
        failure = instance.report_run_failed(
            run, "This run has been marked as failed from outside the execution context."
        )
        context = dg.build_run_status_sensor_context(
            sensor_name=FAILURE_ALERT_SENSOR,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run.run_id),
            dagster_event=failure,
            resources=settings_resources(),
        ).for_run_failure()
        build_failure_alert_sensor()(context)

    message = inbox.messages[0][1]
    assert message["Subject"] == "salesops: run of failing_job failed outside its steps"
    lines = message.get_content().splitlines()
    assert "Failed steps: none (the run itself failed; see the error below)" in lines
    assert "  Could not load job definition." in lines
    assert (
        "  dagster._core.errors.DagsterInvalidDefinitionError: @asset 'report_pack': the context type hint is wrong"
        in lines
    )


def test_failure_alert_without_a_recipient_sends_nothing(inbox, monkeypatch):
    monkeypatch.delenv("SALESOPS_ALERT_EMAIL", raising=False)
    with dg.instance_for_test() as instance:
        outcome = build_failure_alert_sensor()(failure_context(instance))
    assert isinstance(outcome, dg.SkipReason)
    assert "SALESOPS_ALERT_EMAIL is not set" in outcome.skip_message
    assert inbox.messages == []


def test_failure_alert_raises_when_the_mail_server_is_unreachable(monkeypatch, data_dir):
    monkeypatch.setenv("SALESOPS_ALERT_EMAIL", "ops@example.com")
    monkeypatch.setenv("SALESOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESOPS_SMTP_PORT", str(free_port()))  # nobody listens there
    with dg.instance_for_test() as instance:
        context = failure_context(instance)
        with pytest.raises(ConnectionRefusedError):
            build_failure_alert_sensor()(context)


def test_freshness_check_warns_about_a_stale_source(monkeypatch, data_dir):
    monkeypatch.setenv("SALESOPS_FRESHNESS_HOURS", "36")
    two_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    land(data_dir / "lake", "crm", "opportunity", "2026-11-25", two_days_ago)
    land(data_dir / "lake", "crm", "opportunity_history", "2026-11-24", two_days_ago - dt.timedelta(days=1))

    result = build_freshness_check("crm")(settings=settings_resources()["settings"])
    assert result.passed is False
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["newest_delivery"].value == "2026-11-25"
    assert result.metadata["loaded_at"].value == two_days_ago.isoformat()
    assert result.metadata["hours_since"].value == pytest.approx(48, abs=0.2)
    assert "more than 36 h" in result.description


def test_freshness_check_passes_on_a_recent_load_of_any_table(monkeypatch, data_dir):
    monkeypatch.setenv("SALESOPS_FRESHNESS_HOURS", "36")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    land(data_dir / "lake", "crm", "opportunity", "2026-11-25", now - dt.timedelta(days=3))
    land(data_dir / "lake", "crm", "task", "2026-11-27", now - dt.timedelta(hours=2))

    result = build_freshness_check("crm")(settings=settings_resources()["settings"])
    assert result.passed is True
    assert result.metadata["newest_delivery"].value == "2026-11-27"
    assert result.metadata["hours_since"].value == pytest.approx(2, abs=0.2)


def test_freshness_check_fails_when_a_source_was_never_loaded(data_dir):
    result = build_freshness_check("surveys")(settings=settings_resources()["settings"])
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert "Nothing from surveys was ever loaded" in result.description


def test_freshness_warning_does_not_block_the_raw_asset_run(tmp_path, data_dir):
    """The check runs in the same job after its asset, fails with WARN, and the run still succeeds."""

    @dg.asset(key=["raw", "surveys", "nps_response"])
    def nps_response():
        return None

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [nps_response, build_freshness_check("surveys")], instance=instance, resources=settings_resources()
        )
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "source_fresh" and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
