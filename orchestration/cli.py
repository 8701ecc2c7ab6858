"""``salesops``: run the pipeline through Dagster (the same assets and checks as the UI)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from ingestion.settings import load_settings

DEMO_SCALE = 1.0
FAILURE_MESSAGE_LIMIT = 2000


class _ProgressHandler(logging.Handler):
    """Prints one line per finished step and per check, from Dagster's event log records."""

    _MARKS = {"STEP_SUCCESS": "ok  ", "STEP_FAILURE": "FAIL", "STEP_SKIPPED": "skip"}

    def __init__(self, stream):
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.started = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        elapsed = f"{time.monotonic() - self.started:6.1f}s"
        kind = event.event_type_value
        if kind in self._MARKS:
            self.stream.write(f"  {elapsed}  {self._MARKS[kind]}  {event.step_key}\n")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                self.stream.write(
                    f"  {elapsed}  FAIL  check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}\n"
                )
        self.stream.flush()


def _progress_logger():
    import dagster as dg

    @dg.logger(description="One line per finished step, for the salesops CLI.")
    def progress(_init_context):
        log = logging.getLogger("salesops.progress")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        if not log.handlers:
            log.addHandler(_ProgressHandler(sys.stdout))
        return log

    return progress


def run_pipeline(exports_dir: Path, data_dir: Path, stream=None) -> int:
    """Execute the whole job in-process; print a summary; return the exit code."""
    stream = stream or sys.stdout
    os.environ["SALESOPS_EXPORTS_DIR"] = str(exports_dir)
    os.environ["SALESOPS_DATA_DIR"] = str(data_dir)
    settings = load_settings()
    stream.write(f"salesops: exports {settings.exports_dir}\n          data    {settings.data_dir}\n")
    if not settings.exports_dir.is_dir():
        stream.write(f"error: the exports folder {settings.exports_dir} does not exist. "
                     "Point --exports at the drop folder (crm/, billing/, hr/, planning/, surveys/).\n")
        return 2

    import dagster as dg

    from orchestration.definitions import PIPELINE_JOB, build_definitions

    started = time.monotonic()
    job = build_definitions().resolve_job_def(PIPELINE_JOB)
    job = job.with_logger_defs({**job.loggers, "salesops_progress": _progress_logger()})
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"salesops_progress": {}, "console": {"config": {"log_level": "CRITICAL"}}}},
    )
    return _summarize(result, settings, time.monotonic() - started, stream)


def _summarize(result, settings, seconds: float, stream) -> int:
    import duckdb

    evaluations = result.get_asset_check_evaluations()
    failed_checks = [evaluation for evaluation in evaluations if not evaluation.passed]
    stream.write(f"\nchecks: {len(evaluations) - len(failed_checks)} passed, {len(failed_checks)} failed\n")
    for evaluation in failed_checks:
        detail = f": {evaluation.description}" if evaluation.description else ""
        stream.write(f"  failed: {evaluation.asset_key.to_user_string()} {evaluation.check_name}{detail}\n")
    started_steps = set()
    for event in result.all_events:
        if event.event_type_value == "STEP_START":
            started_steps.add(event.step_key)
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            message = (error.message or "").strip() if error else ""
            if error and error.cls_name == "Failure":
                message = message.split(": ", 1)[-1]  # drop the exception's class path
            elif error and error.cause:
                message += f" (caused by: {error.cause.message.strip()})"
            if len(message) > FAILURE_MESSAGE_LIMIT:
                message = message[:FAILURE_MESSAGE_LIMIT] + " … (cut; the full error is in the Dagster run log)"
            stream.write(f"  step {event.step_key} failed: {message}\n")
    blocked = sorted(node.name for node in result.job_def.graph.nodes if node.name not in started_steps)
    if blocked:
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
        stream.write(f"\n  DuckDB:  {published}\n  Parquet: {settings.warehouse_dir / 'parquet'}\n")
        return 0
    stream.write(
        f"\nrun failed after {seconds:.1f}s: nothing was published"
        + (f"; readers still see the last good publication in {published}" if published.exists() else "")
        + ".\n"
    )
    return 1


def _demo(args) -> int:
    from ingestion.demo import generate_exports

    files = generate_exports(Path(args.out), scale=args.scale, seed=args.seed)
    print(f"wrote {len(files)} export files to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salesops", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="ingest the exports, build and check the marts, publish them")
    run.add_argument("--exports", type=Path, help="the drop folder (default: $SALESOPS_EXPORTS_DIR, "
                     "or demo exports generated under the data dir)")
    run.add_argument("--data-dir", type=Path, help="where the lake and warehouse live "
                     "(default: $SALESOPS_DATA_DIR or ~/.local/share/salesops)")
    demo = commands.add_parser("demo-data", help="write seeded demo exports in the systems' own formats")
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--scale", type=float, default=DEMO_SCALE)
    demo.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    if args.command == "demo-data":
        return _demo(args)
    if args.command not in (None, "run"):
        parser.error(f"unknown command {args.command}")
    data_dir = (getattr(args, "data_dir", None) or load_settings().data_dir).resolve()
    exports = getattr(args, "exports", None) or (
        Path(os.environ["SALESOPS_EXPORTS_DIR"]) if os.environ.get("SALESOPS_EXPORTS_DIR") else None
    )
    if exports is None:
        exports = data_dir / "demo-exports"
        if not exports.exists():
            from ingestion.demo import generate_exports

            print(f"salesops: no --exports given; generating demo exports (scale {DEMO_SCALE}) in {exports}")
            generate_exports(exports, scale=DEMO_SCALE)
    return run_pipeline(exports.resolve(), data_dir)


if __name__ == "__main__":
    raise SystemExit(main())
