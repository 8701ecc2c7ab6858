"""``salesops``: run the pipeline through Dagster (the same assets and checks as the UI)."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ingestion.contracts import SOURCES
from salesops import metrics as metrics_command
from salesops.data_dir_lock import DataDirBusy, exclusive_data_dir
from salesops.settings import PROJECT_ROOT, Settings, load_settings

# Phase times count from here: the start-up phase is Python, Dagster and the definitions loading.
PROCESS_STARTED = time.monotonic()
DEMO_SCALE = 1.0
FAILURE_MESSAGE_LIMIT = 2000
# What the marts lack without each export (named in the run summary when one never arrived).
WITHOUT_SOURCE = {
    "crm": "there are no deals: the pipeline marts are empty and bookings count 0",
    "billing": "revenue, MRR and its movements, retention, CAC and profit margin are null (not 0), "
    "and no commission is clawed back",
    "hr": "nobody is in sales: no teams, reporting lines or reports",
    "planning": "there are no quotas or plans: no attainment and no commission statements",
    "surveys": "NPS is null (not 0)",
}


def run_pipeline(exports_dir: Path, data_dir: Path, stream=None, full_refresh: bool = False) -> int:
    """Execute the whole job in-process; print a summary; return the exit code.

    When nothing changed since the run that made the current publication (the
    exports, the code, the settings), say so and return 0 without building,
    unless ``full_refresh``, which also rebuilds the incremental models in full.
    """
    from publishing.publish import current_publication
    from salesops.build_state import (
        build_fingerprint,
        forget_build,
        forget_incremental_basis,
        nothing_new,
        record_build,
    )

    stream = stream or sys.stdout
    settings = _settings_for(data_dir, exports_dir)
    stream.write(f"salesops: exports {settings.exports_dir}\n          data    {settings.data_dir}\n")
    if not settings.exports_dir.is_dir():
        stream.write(
            f"error: the exports folder {settings.exports_dir} does not exist. "
            "Point --exports at the drop folder (crm/, billing/, hr/, planning/, surveys/).\n"
        )
        return 2
    fingerprint = build_fingerprint(settings)
    unchanged = None
    if not full_refresh:
        try:  # under the lock: a rollback or a run in progress may be changing the publication
            with exclusive_data_dir(settings.data_dir, f"salesops run (checking for anything new, pid {os.getpid()})"):
                publication = current_publication(settings.warehouse_dir)
                unchanged = nothing_new(settings, fingerprint, publication and publication.name)
        except DataDirBusy:
            pass  # the run itself is refused, with who holds the data dir
    if unchanged:
        stream.write(
            f"\nnothing new: the exports, the code and the settings are those of run {unchanged.run_id} "
            f"({unchanged.finished_at}), so its publication stays current:\n  DuckDB:  {settings.published_database}\n"
            "Run `salesops run --full-refresh` to rebuild anyway.\n"
        )
        return 0
    forget_build(settings)
    if full_refresh:
        forget_incremental_basis(settings)
    from ingestion.quality import start_validation_worker, stop_validation_worker
    from orchestration import warm_dbt
    from orchestration.dbt_invocation import start_warm_dbt

    start_validation_worker()  # Great Expectations loads on the other core while Dagster starts up

    from dagster._core.utils import make_new_run_id

    from orchestration.definitions import PIPELINE_JOB, build_definitions
    from orchestration.defs.transform import dbt_models
    from orchestration.progress import PhaseProgress, output_to, plan_phases, progress_logger
    from orchestration.run_instance import run_instance

    job = build_definitions(settings).resolve_job_def(PIPELINE_JOB)
    instance = run_instance()
    run_id = make_new_run_id()
    log_path = settings.runs_dir / run_id / "run.log"
    dbt = dbt_models()
    phases = plan_phases((node.name for node in job.graph.nodes), dbt.op.name)
    stream.write(f"  {time.monotonic() - PROCESS_STARTED:6.1f}s  start-up (log: {log_path})\n")
    progress = PhaseProgress(
        stream, phases, {"models": len(dbt.keys), "tests": len(list(dbt.check_specs))}, PROCESS_STARTED
    )
    try:
        start_warm_dbt(settings)  # dbt loads and parses the project while the exports are ingested
    except OSError as error:  # only a speed-up: the dbt step starts dbt itself
        stream.write(f"  (the warm dbt process did not start: {error}; dbt will start itself)\n")
    try:
        with output_to(log_path) as log_file, start_up_heap_frozen():
            result = job.with_logger_defs(
                {**job.loggers, "salesops_progress": progress_logger(progress, log_file)}
            ).execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                run_config={"loggers": {"salesops_progress": {}, "console": {"config": {"log_level": "CRITICAL"}}}},
            )
    finally:  # both already stopped by the dbt step, unless the run ended before it
        stop_validation_worker()
        warm_dbt.stop()
    _log_run(instance, result, settings)
    instance.dispose()
    if result.success:
        record_build(settings, fingerprint, result.run_id, current_publication(settings.warehouse_dir).name)
    code = _summarize(result, settings, time.monotonic() - PROCESS_STARTED, stream)
    stream.write(f"  Log:     {log_path}\n")
    return code


@contextlib.contextmanager
def start_up_heap_frozen() -> Iterator[None]:
    """The run with the objects loaded so far (modules, definitions, manifest) out of the collector's sight.

    They live as long as the run: frozen, the garbage collector stops walking
    them on every full collection (~1.5 s of a scale-1 run).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _log_run(instance, result, settings: Settings) -> None:
    """The run's final record in the run log (its publish step logged it as published, if it got there)."""
    from orchestration.run_log import run_record
    from publishing.publish import as_of_date
    from publishing.run_log import append_run

    as_of = as_of_date(settings.published_database) if result.success else None
    status = "succeeded" if result.success else "failed"
    append_run(settings.runs_dir, run_record(instance, result.run_id, status, settings, as_of))


def _summarize(result, settings, seconds: float, stream) -> int:
    import dagster as dg
    import duckdb

    evaluations = result.get_asset_check_evaluations()
    failed_checks = [evaluation for evaluation in evaluations if not evaluation.passed]
    warnings = [evaluation for evaluation in failed_checks if evaluation.severity == dg.AssetCheckSeverity.WARN]
    stream.write(
        f"\nchecks: {len(evaluations) - len(failed_checks)} passed, {len(failed_checks) - len(warnings)} failed"
        + (f", {len(warnings)} warned" if warnings else "")
        + "\n"
    )
    for evaluation in failed_checks:
        detail = f": {evaluation.description}" if evaluation.description else ""
        outcome = "warning" if evaluation in warnings else "failed"
        stream.write(f"  {outcome}: {evaluation.asset_key.to_user_string()} {evaluation.check_name}{detail}\n")
    started_steps, could_not_start = set(), False
    for event in result.all_events:
        if event.event_type_value == "STEP_START":
            started_steps.add(event.step_key)
        if event.event_type_value == "RESOURCE_INIT_FAILURE":  # e.g. another run holds the data dir
            could_not_start = True
            error = event.event_specific_data.error
            message = (error.message or "").strip().split(": ", 1)[-1] if error else "a resource failed"
            stream.write(f"  the run could not start: {message}\n")
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            message = (error.message or "").strip() if error else ""
            if error and error.cls_name == "Failure":
                message = message.split(": ", 1)[-1]  # drop the exception's class path
            elif error and error.cause:
                message += f" (caused by: {error.cause.message.strip()})"
            if len(message) > FAILURE_MESSAGE_LIMIT:
                message = message[:FAILURE_MESSAGE_LIMIT] + " … (cut; the full error is in the log named below)"
            stream.write(f"  step {event.step_key} failed: {message}\n")
    blocked = sorted(node.name for node in result.job_def.graph.nodes if node.name not in started_steps)
    if blocked and not could_not_start:
        stream.write(f"  not run (an upstream step or blocking check failed): {', '.join(blocked)}\n")
    published = settings.published_database
    if result.success:
        stream.write(f"\npublished marts ({seconds:.1f}s):\n")
        with duckdb.connect(str(published), read_only=True) as reader:
            for (name,) in reader.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall():
                rows = reader.execute(f'select count(*) from marts."{name}"').fetchone()[0]
                stream.write(f"  marts.{name:<32} {rows:>10,} rows\n")
            deliveries = reader.execute("select distinct source_name from marts.rpt_deliveries").fetchall()
            delivered = {source for (source,) in deliveries}
        for source in SOURCES:
            if source not in delivered:
                stream.write(
                    f"  not delivered: no {source} export has arrived yet ({settings.exports_dir / source}/"
                    f"<delivery>/), so {WITHOUT_SOURCE[source]}.\n"
                )
        stream.write(f"\n  DuckDB:  {published}\n  Parquet: {settings.warehouse_dir / 'parquet'}\n")
        stream.write(_validations_line(settings, result.run_id))
        stream.write(_reports_summary(result))
        return 0
    stream.write("\n" + _validations_line(settings, result.run_id))
    stream.write(
        f"\nrun failed after {seconds:.1f}s: nothing was published"
        + (f"; readers still see the last good publication in {published}" if published.exists() else "")
        + ".\n"
    )
    return 1


def _validations_line(settings: Settings, run_id: str) -> str:
    """Where this run's validations of new deliveries are (none when nothing new arrived)."""
    page = settings.runs_dir / run_id / "validations" / "index.html"
    return f"  Validations: {page}\n" if page.exists() else ""


def _settings_for(data_dir: Path | None, exports_dir: Path | None = None) -> Settings:
    """The settings, where ``--data-dir`` and ``--exports`` (when given) win over their SALESOPS_* variables."""
    environment = dict(os.environ)
    if data_dir:
        environment["SALESOPS_DATA_DIR"] = str(data_dir.resolve())
    if exports_dir:
        environment["SALESOPS_EXPORTS_DIR"] = str(exports_dir.resolve())
    return load_settings(environment)


def _reports_summary(result) -> str:
    """Where the run's report pack is, from the report asset's materialization."""
    from orchestration.defs.reports import REPORT_PACK_KEY

    for materialization in result.asset_materializations_for_node(REPORT_PACK_KEY.to_python_identifier()):
        metadata = materialization.metadata
        return (
            f"  Reports: {metadata['index'].value} ({metadata['reports'].value} reports, "
            f"{metadata['rendered'].value} rendered by this run)\n"
        )
    return ""


def build_reports(data_dir: Path | None, stream=None) -> int:
    """Render the report pack of the current publication again (after a template or setting change)."""
    from orchestration.defs.reports import pack_settings
    from publishing.reports import build_report_pack

    stream = stream or sys.stdout
    settings = _settings_for(data_dir)
    if not settings.published_database.exists():
        stream.write(f"error: {settings.published_database} does not exist; run `salesops run` first.\n")
        return 2
    started = time.monotonic()
    try:
        with exclusive_data_dir(settings.data_dir, "salesops build-reports"):
            pack = build_report_pack(settings.published_database, settings.reports_dir, pack_settings(settings))
    except DataDirBusy as error:
        stream.write(f"error: {error}\n")
        return 1
    stream.write(
        f"{pack.index}: {len(pack.reports)} reports, {pack.rendered} rendered ({time.monotonic() - started:.1f}s)\n"
    )
    return 0


def send_reports(data_dir: Path | None, as_of: str | None, dry_run: bool, stream=None) -> int:
    """Email the latest report pack (or the one of ``as_of``); each report goes out once."""
    from publishing.reports.delivery import DELIVERY_LOG, deliver_reports, describe, latest_pack

    stream = stream or sys.stdout
    settings = _settings_for(data_dir)
    try:
        pack = latest_pack(settings.reports_dir, as_of)
    except FileNotFoundError as error:
        stream.write(f"error: {error}\n")
        return 2
    try:
        # The delivery log is read, then written, message by message: one sender at a time.
        with exclusive_data_dir(settings.data_dir, "salesops send-reports"):
            outcome = deliver_reports(pack, settings.lake_dir, settings.smtp, dry_run=dry_run)
    except DataDirBusy as error:
        stream.write(f"error: {error}\n")
        return 1
    except OSError as error:  # smtplib's errors are OSErrors: refused, timed out, rejected
        stream.write(
            f"error: sending through {settings.smtp.host}:{settings.smtp.port} failed: {error}. "
            "Check SALESOPS_SMTP_HOST/PORT/STARTTLS/USER; reports already sent are logged and "
            "will not be sent again.\n"
        )
        return 1
    stream.write("\n".join(describe(outcome, dry_run)) + "\n")
    if not dry_run:
        stream.write(
            f"{outcome.sent_messages} message(s) sent through {settings.smtp.host}:{settings.smtp.port}; "
            f"log: {pack.parent / DELIVERY_LOG}\n"
        )
    if outcome.refused:
        stream.write(
            f"error: the server refused {len(outcome.refused)} message(s); fix the addresses in HR "
            "or the server's settings and run send-reports again (it sends only what is left).\n"
        )
        return 1
    return 0


def rollback(data_dir: Path | None, stream=None) -> int:
    """Make the publication before the current one current again (the marts and their Parquet)."""
    from publishing.publish import rollback_publication

    stream = stream or sys.stdout
    settings = _settings_for(data_dir)
    try:
        with exclusive_data_dir(settings.data_dir, "salesops rollback"):
            restored, replaced = rollback_publication(settings.warehouse_dir)
    except (DataDirBusy, RuntimeError) as error:
        stream.write(f"error: {error}\n")
        return 1
    stream.write(
        f"restored publication {restored} in {settings.published_database} and {settings.warehouse_dir / 'parquet'} "
        f"(publication {replaced} is kept until the next run publishes). The next `salesops run` publishes again "
        "from the lake; remove or correct the delivery that caused the bad publication first.\n"
    )
    return 0


def serve(data_dir: Path | None, exports_dir: Path | None, host: str, port: int) -> int:
    """Replace this process by ``dagster dev`` (UI + daemon) on the persistent instance of the data dir.

    The daemon is what fires the nightly schedule and the sensors; the instance
    under the data dir keeps their cursors and the run history across restarts.
    """
    settings = _settings_for(data_dir, exports_dir)
    dagster = Path(sys.executable).with_name("dagster")
    if not dagster.exists():
        print(f"error: {dagster} not found; install salesops with `make setup` (it installs Dagster beside it).")
        return 2
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_settings = settings.dagster_home / "dagster.yaml"
    if not instance_settings.exists():
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", instance_settings)
    # `dagster dev` replaces this process and loads the definitions from these variables.
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["SALESOPS_DATA_DIR"] = str(settings.data_dir)
    os.environ["SALESOPS_EXPORTS_DIR"] = str(settings.exports_dir)
    print(
        f"salesops: exports {settings.exports_dir}\n          data    {settings.data_dir}\n"
        f"          dagster {settings.dagster_home}\n          UI      http://{host}:{port}"
    )
    if not settings.exports_dir.is_dir():
        print(f"salesops: {settings.exports_dir} does not exist yet; the arrival sensor waits for it.")
    sys.stdout.flush()
    os.execv(dagster, [str(dagster), "dev", "-m", "orchestration.definitions", "--host", host, "--port", str(port)])


def _demo(args) -> int:
    from demo_exports.generator import generate_exports

    files = generate_exports(Path(args.out), scale=args.scale, seed=args.seed)
    print(f"wrote {len(files)} export files to {args.out}")
    return 0


def _add_data_dir(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--data-dir", type=Path, help=f"{what} (default: $SALESOPS_DATA_DIR or ~/.local/share/salesops)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salesops", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="ingest the exports, build and check the marts, publish them")
    run.add_argument(
        "--exports",
        type=Path,
        help="the drop folder (default: $SALESOPS_EXPORTS_DIR, or demo exports generated under the data dir)",
    )
    _add_data_dir(run, "where the lake and warehouse live")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="build and publish even when nothing changed since the current publication, "
        "rebuilding the incremental tables from the whole lake",
    )
    demo = commands.add_parser("demo-data", help="write seeded demo exports in the systems' own formats")
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--scale", type=float, default=DEMO_SCALE)
    demo.add_argument("--seed", type=int, default=7)
    serving = commands.add_parser(
        "serve",
        help="run the Dagster UI and daemon: the nightly schedule, the arrival sensor and the failure alerts fire",
    )
    serving.add_argument(
        "--exports", type=Path, help="the drop folder (default: $SALESOPS_EXPORTS_DIR or <data dir>/exports)"
    )
    _add_data_dir(serving, "where the lake, warehouse and Dagster instance live")
    serving.add_argument("--host", default="127.0.0.1", help="the UI's address (default: 127.0.0.1)")
    serving.add_argument("--port", type=int, default=3000, help="the UI's port (default: 3000)")
    rendering = commands.add_parser(
        "build-reports",
        help="render the report pack of the current publication "
        "again (only reports whose content or templates changed)",
    )
    _add_data_dir(rendering, "where the publication and the reports live")
    sending = commands.add_parser(
        "send-reports",
        help="email each recipient their reports of the latest pack (each report once; SMTP from SALESOPS_SMTP_*)",
    )
    sending.add_argument("--dry-run", action="store_true", help="list recipients and attachments, send nothing")
    sending.add_argument("--as-of", help="the pack of this as-of date (default: the newest)")
    _add_data_dir(sending, "where the reports and the raw lake (HR's work emails) live")
    rolling_back = commands.add_parser(
        "rollback", help="restore the previous publication of the marts (the one the last run replaced)"
    )
    _add_data_dir(rolling_back, "where the warehouse lives")
    _add_data_dir(metrics_command.add_parser(commands), "where the published marts live")
    args = parser.parse_args(argv)

    if args.command == "demo-data":
        return _demo(args)
    if args.command == "build-reports":
        return build_reports(args.data_dir)
    if args.command == "send-reports":
        return send_reports(args.data_dir, args.as_of, args.dry_run)
    if args.command == "rollback":
        return rollback(args.data_dir)
    if args.command == "metrics":
        return metrics_command.run(args, _settings_for(args.data_dir))
    if args.command == "serve":
        return serve(args.data_dir, args.exports, args.host, args.port)
    if args.command not in (None, "run"):
        parser.error(f"unknown command {args.command}")
    data_dir = (getattr(args, "data_dir", None) or load_settings().data_dir).resolve()
    exports = getattr(args, "exports", None) or (
        Path(os.environ["SALESOPS_EXPORTS_DIR"]) if os.environ.get("SALESOPS_EXPORTS_DIR") else None
    )
    if exports is None:
        exports = demo_exports_in(data_dir)
    return run_pipeline(exports.resolve(), data_dir, full_refresh=getattr(args, "full_refresh", False))


def entry() -> None:
    """The ``salesops`` command: ``main``, then an exit that skips tearing down the interpreter's heap (~0.7 s
    after a run). By then every file salesops writes is closed; the exit handlers (worker pools, logging) run
    here first, and the output is flushed after them."""
    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def demo_exports_in(data_dir: Path) -> Path:
    """``<data dir>/demo-exports``, generated the first time: whole or not at all.

    They are written to a scratch folder and renamed into place, so a run
    stopped while generating, or two first runs at once, never leave a
    half-written drop folder for a later run to ingest.
    """
    exports = data_dir / "demo-exports"
    if exports.exists():
        return exports
    from demo_exports.generator import generate_exports

    print(f"salesops: no --exports given; generating demo exports (scale {DEMO_SCALE}) in {exports}")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".demo-exports-", dir=data_dir) as scratch:
        generate_exports(Path(scratch) / "exports", scale=DEMO_SCALE)
        try:
            os.rename(Path(scratch) / "exports", exports)
        except OSError:
            if not exports.is_dir():
                raise  # not another run having generated them first
    return exports


if __name__ == "__main__":
    raise SystemExit(main())
