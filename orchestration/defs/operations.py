"""How the pipeline runs itself: nightly schedule, arrival sensor, failure alerts, freshness checks.

Sensors and checks read the settings when they are evaluated, like the assets;
only the schedule's cron and time zone are read when the definitions load,
because Dagster needs them there. They all fire only under the Dagster daemon
(``salesops serve``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ingestion.contracts import SOURCES, entity
from ingestion.lake import RawLake
from orchestration.defs.ingestion import raw_asset_key
from orchestration.resources import SettingsResource
from orchestration.run_log import run_record
from publishing.mail import compose, send
from publishing.run_log import append_run
from salesops.settings import OperationsSettings, Settings

if TYPE_CHECKING:  # what dg.define_asset_job returns; Dagster does not export the class
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

NIGHTLY_SCHEDULE = "salesops_nightly"
ARRIVAL_SENSOR = "salesops_arrival"
FAILURE_ALERT_SENSOR = "salesops_failure_alert"
FRESHNESS_CHECK = "source_fresh"

ARRIVAL_INTERVAL_SECONDS = 30
ALERT_ERROR_LINES = 20
DELIVERY_TAG = "salesops/delivery"
SOURCES_TAG = "salesops/sources"

# The asset that carries each source's freshness check: the export the marts depend on most.
PRINCIPAL_ENTITY = {
    "crm": "crm.opportunity",
    "billing": "billing.invoice",
    "hr": "hr.employee",
    "planning": "planning.quota",
    "surveys": "surveys.nps_response",
}


# --- nightly schedule ---------------------------------------------------------------------------


def build_nightly_schedule(job: UnresolvedAssetJobDefinition, operations: OperationsSettings) -> dg.ScheduleDefinition:
    """The whole pipeline every night, at SALESOPS_NIGHTLY_CRON in SALESOPS_TIMEZONE."""
    try:
        return dg.ScheduleDefinition(
            name=NIGHTLY_SCHEDULE,
            job=job,
            cron_schedule=operations.nightly_cron,
            execution_timezone=operations.timezone,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=f"Every night at `{operations.nightly_cron}` ({operations.timezone}), after the "
            "exports arrive; fires only while `salesops serve` runs the daemon.",
        )
    except dg.DagsterInvalidDefinitionError as error:
        raise ValueError(
            f"SALESOPS_NIGHTLY_CRON={operations.nightly_cron}: not a cron expression ({error}). "
            "Use five fields such as '0 5 * * *' (05:00 every day)."
        ) from error


# --- arrival sensor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFolder:
    """One ``<exports>/<source>/<delivery>/`` folder."""

    source: str
    name: str
    path: Path

    @property
    def cursor_key(self) -> str:
        return f"{self.source}/{self.name}"


def delivery_folders(exports_dir: Path) -> list[DeliveryFolder]:
    """Every delivery folder of every source in the drop folder (hidden folders are copies in progress)."""
    folders = []
    for source in SOURCES:
        source_dir = exports_dir / source
        if source_dir.is_dir():
            folders.extend(
                DeliveryFolder(source, path.name, path)
                for path in sorted(source_dir.iterdir())
                if path.is_dir() and not path.name.startswith(".")
            )
    return folders


def has_settled(folder: Path, settle_seconds: int, now: float) -> bool:
    """True when the folder holds files and nothing in it changed for ``settle_seconds``.

    The folder's own modification time counts too: adding, renaming or deleting a
    file changes it, so a copy that is between two files is still in progress.
    """
    holds_files = False
    try:
        newest = folder.stat().st_mtime
        for root, directories, files in os.walk(folder):
            holds_files = holds_files or bool(files)
            for name in (*directories, *files):
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    except FileNotFoundError:  # a file went away while we looked: still being written
        return False
    return holds_files and now - newest >= settle_seconds


def loaded_in_lake(lake_dir: Path, folder: DeliveryFolder) -> bool:
    """True when some table of the folder's source already holds this delivery in the raw lake."""
    return any(delivery.delivery == folder.name for delivery in RawLake(lake_dir).source_deliveries(folder.source))


def _seen_folders(cursor: str) -> set[str]:
    try:
        seen = json.loads(cursor)
    except json.JSONDecodeError:
        seen = None
    if not isinstance(seen, list):
        raise ValueError(
            f"The cursor of {ARRIVAL_SENSOR} must be a JSON list of 'source/delivery' folders, got {cursor[:200]!r}. "
            "Reset the sensor's cursor in the Dagster UI: folders already in the raw lake will not be replayed."
        )
    return set(seen)


def build_arrival_sensor(job: UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name=ARRIVAL_SENSOR,
        job=job,
        minimum_interval_seconds=ARRIVAL_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts the pipeline once per new delivery folder name in the drop folder "
        "(<exports>/<source>/<delivery>/), when nothing in its folders changed for "
        "SALESOPS_ARRIVAL_SETTLE_SECONDS.",
    )
    def salesops_arrival(
        context: dg.SensorEvaluationContext, settings: SettingsResource
    ) -> dg.SensorResult | dg.SkipReason:
        settings = settings.value
        exports_dir = settings.exports_dir
        if not exports_dir.is_dir():
            return dg.SkipReason(
                f"The exports folder {exports_dir} does not exist: create it, or point SALESOPS_EXPORTS_DIR "
                "at the drop folder (<source>/<delivery>/files)."
            )
        first_tick = context.cursor is None
        seen = set() if first_tick else _seen_folders(context.cursor)
        settle_seconds = settings.operations.arrival_settle_seconds
        now = time.time()

        new_by_name: dict[str, list[DeliveryFolder]] = defaultdict(list)
        for folder in delivery_folders(exports_dir):
            if folder.cursor_key not in seen:
                new_by_name[folder.name].append(folder)
        replay_skipped = 0
        if first_tick:  # turning the sensor on against a data dir that already ran must not replay history
            for name, folders in list(new_by_name.items()):
                already = [folder for folder in folders if loaded_in_lake(settings.lake_dir, folder)]
                seen.update(folder.cursor_key for folder in already)
                replay_skipped += len(already)
                new_by_name[name] = [folder for folder in folders if folder not in already]

        run_requests, settling = [], []
        for name, folders in sorted(new_by_name.items()):
            if not folders:
                continue
            # One delivery is one run: wait until every folder of that name has settled.
            copying = [folder for folder in folders if not has_settled(folder.path, settle_seconds, now)]
            if copying:
                settling.extend(folder.cursor_key for folder in copying)
                continue
            sources = sorted(folder.source for folder in folders)
            straggler = any(f"{source}/{name}" in seen for source in SOURCES)
            # A folder of a delivery that already started a run needs its own run key, or Dagster drops the request.
            run_key = f"delivery:{name}" + (f":{'+'.join(sources)}" if straggler else "")
            run_requests.append(
                dg.RunRequest(run_key=run_key, tags={DELIVERY_TAG: name, SOURCES_TAG: ",".join(sources)})
            )
            seen.update(folder.cursor_key for folder in folders)

        cursor = json.dumps(sorted(seen))
        if run_requests:
            return dg.SensorResult(run_requests=run_requests, cursor=cursor)
        reasons = [f"No new delivery folder in {exports_dir}."]
        if replay_skipped:
            reasons.append(f"{replay_skipped} delivery folders already in the raw lake were marked as seen.")
        if settling:
            reasons.append(
                f"Still being copied (waiting until nothing in them changed for {settle_seconds} s): "
                + ", ".join(settling)
            )
        return dg.SensorResult(skip_reason=" ".join(reasons), cursor=cursor)

    return salesops_arrival


# --- failure alert ------------------------------------------------------------------------------


def _as_of(lake_dir: Path) -> str:
    """The run's as-of: the latest delivery in the raw lake."""
    names = [delivery.delivery for source in SOURCES for delivery in RawLake(lake_dir).source_deliveries(source)]
    return f"as of delivery {max(names)}" if names else "no delivery loaded yet"


def failure_alert_text(context: dg.RunFailureSensorContext, settings: Settings) -> tuple[str, str]:
    """The alert's subject and body: failed steps and blocking checks, the error's first lines, where."""
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    failed_steps = [event.step_key for event in step_failures]
    check_records = context.instance.get_records_for_run(
        run_id=run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed_checks = [
        evaluation
        for evaluation in (record.event_log_entry.dagster_event.event_specific_data for record in check_records)
        if evaluation.blocking and not evaluation.passed
    ]

    error_lines: list[str] = []
    for event in step_failures:
        error = event.step_failure_data.error
        error_lines += [f"[{event.step_key}]", *(error.to_string() if error else "no error recorded").splitlines()]
    if not step_failures:  # the run failed outside any step: its process died, or the code did not load
        engine_events = [
            record.event_log_entry.dagster_event
            for record in context.instance.get_records_for_run(
                run_id=run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
            ).records
        ]
        for event in [context.failure_event, *engine_events]:
            error = getattr(event.event_specific_data, "error", None)
            if event is context.failure_event or error is not None:
                error_lines += (event.message or "").splitlines()
                error_lines += error.to_string().splitlines() if error else []

    if failed_steps:
        subject = f"salesops: run of {run.job_name} failed at {', '.join(failed_steps)}"
    else:
        subject = f"salesops: run of {run.job_name} failed outside its steps"
    checks = [
        f"  {evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        + (f": {evaluation.description}" if evaluation.description else "")
        for evaluation in failed_checks
    ]
    body = "\n".join(
        [
            f"The Dagster run {run.run_id} of job {run.job_name} failed.",
            "",
            f"Failed steps: {', '.join(failed_steps) or 'none (the run itself failed; see the error below)'}",
            "Failed blocking checks:" if checks else "Failed blocking checks: none",
            *checks,
            f"Run id: {run.run_id}",
            f"Job: {run.job_name}",
            f"Data dir: {settings.data_dir} ({_as_of(settings.lake_dir)})",
            "",
            f"Error (first {ALERT_ERROR_LINES} lines; the whole log is in the Dagster UI under this run id):",
            *(f"  {line}" for line in error_lines[:ALERT_ERROR_LINES]),
        ]
    )
    return subject, body


def build_failure_alert_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name=FAILURE_ALERT_SENSOR,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Emails SALESOPS_ALERT_EMAIL when any run of this code location fails.",
    )
    def salesops_failure_alert(context: dg.RunFailureSensorContext, settings: SettingsResource) -> dg.SkipReason | None:
        settings = settings.value
        recipient = settings.operations.alert_email
        run_id = context.dagster_run.run_id
        # Runs started by the daemon have no CLI to log their end: the failure is logged here.
        append_run(settings.runs_dir, run_record(context.instance, run_id, "failed", settings))
        if not recipient:
            context.log.warning(
                f"Run {run_id} failed, and no alert was sent: set SALESOPS_ALERT_EMAIL (and SALESOPS_SMTP_HOST) "
                "to be emailed when a run fails."
            )
            return dg.SkipReason(f"SALESOPS_ALERT_EMAIL is not set: no alert for the failed run {run_id}.")
        subject, body = failure_alert_text(context, settings)
        try:
            send(settings.smtp, [compose(settings.smtp, recipient, subject, body)])
        except OSError as error:  # smtplib's errors are OSErrors too
            context.log.error(
                f"Could not email the failure alert of run {run_id} to {recipient} through "
                f"{settings.smtp.host}:{settings.smtp.port}: {error}. Check SALESOPS_SMTP_HOST, "
                "SALESOPS_SMTP_PORT, SALESOPS_SMTP_STARTTLS and SALESOPS_SMTP_USER."
            )
            raise
        context.log.info(f"Emailed the failure alert of run {run_id} to {recipient}.")
        return None

    return salesops_failure_alert


# --- freshness checks ---------------------------------------------------------------------------


def freshness_result(source: str, lake_dir: Path, freshness_hours: int, now: dt.datetime) -> dg.AssetCheckResult:
    """Passes when the source's most recent load into the raw lake is at most ``freshness_hours`` old."""
    loaded = RawLake(lake_dir).source_deliveries(source)
    if not loaded:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"freshness_hours": freshness_hours},
            description=f"Nothing from {source} was ever loaded into the raw lake {lake_dir}. "
            f"Deliver its export to <exports>/{source}/<delivery>/ and run the pipeline.",
        )
    newest = max(loaded, key=lambda delivery: (delivery.loaded_at, delivery.delivery))
    loaded_at = dt.datetime.fromisoformat(newest.loaded_at)
    if loaded_at.tzinfo is None:  # the lake records naive UTC
        loaded_at = loaded_at.replace(tzinfo=dt.UTC)
    hours_since = (now - loaded_at).total_seconds() / 3600
    passed = hours_since <= freshness_hours
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "newest_delivery": newest.delivery,
            "loaded_at": newest.loaded_at,
            "hours_since": round(hours_since, 1),
            "freshness_hours": freshness_hours,
        },
        description=None
        if passed
        else (
            f"The newest {source} delivery ({newest.delivery}) was loaded {hours_since:.0f} h ago, more than "
            f"{freshness_hours} h: check that the {source} export still reaches the drop folder."
        ),
    )


def build_freshness_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(entity(PRINCIPAL_ENTITY[source])),
        name=FRESHNESS_CHECK,
        blocking=False,
        description=f"Warns when no {source} delivery (any of its files) was loaded in the last "
        "SALESOPS_FRESHNESS_HOURS hours.",
    )
    def source_fresh(settings: SettingsResource) -> dg.AssetCheckResult:
        settings = settings.value
        return freshness_result(source, settings.lake_dir, settings.operations.freshness_hours, dt.datetime.now(dt.UTC))

    return source_fresh


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    return [build_freshness_check(source) for source in SOURCES]
