"""What `salesops run` shows while it runs: one line per phase, failures as they happen, and a live
``model 57/86`` line during dbt on a terminal. Everything else (dbt's log, Dagster's events) goes to
the run's log file, which the summary names.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import dagster as dg

from orchestration.defs.publish import PUBLISHED_KEY
from orchestration.defs.reports import REPORT_EMAILS_KEY, REPORT_PACK_KEY

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
_FINISHED = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}
_RUN_ENDED = {"RUN_SUCCESS", "RUN_FAILURE", "PIPELINE_SUCCESS", "PIPELINE_FAILURE"}


def phase_of(step_key: str, dbt_step: str) -> str:
    """The phase a step of the pipeline job belongs to (its step key is its node's name)."""
    if step_key.startswith("raw"):
        return "ingest"  # the raw assets and their checks (quality gates, freshness, references)
    named = {
        dbt_step: "dbt",
        PUBLISHED_KEY.to_python_identifier(): "publish",
        REPORT_PACK_KEY.to_python_identifier(): "reports",
        REPORT_EMAILS_KEY.to_python_identifier(): "email",
    }
    return named.get(step_key, "checks")  # checks on the publication run as steps of their own


@dataclass
class Phase:
    """What one phase has done so far."""

    name: str
    steps: set[str]
    finished: set[str] = field(default_factory=set)
    materialized: int = 0
    rows_landed: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    checks_warned: int = 0
    steps_failed: int = 0
    metadata: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.steps <= self.finished

    def describe(self) -> str:
        noun = "test" if self.name == "dbt" else "check"
        checks = f"{self.checks_passed} {noun}{'' if self.checks_passed == 1 else 's'} passed"
        checks += f", {self.checks_failed} failed" if self.checks_failed else ""
        checks += f", {self.checks_warned} warned" if self.checks_warned else ""
        failed = f"; {self.steps_failed} step(s) failed" if self.steps_failed else ""
        if self.name == "ingest":
            done = f"{self.materialized} tables, {self.rows_landed:,} rows landed; {checks}"
        elif self.name == "dbt":
            done = f"{self.materialized} models; {checks}"
        elif self.name == "publish" and "rows_per_mart" in self.metadata:
            done = f"{len(self.metadata['rows_per_mart'])} marts"
        elif self.name == "reports" and "reports" in self.metadata:
            done = f"{self.metadata['reports']} reports ({self.metadata['rendered']} rendered by this run)"
        elif self.name == "checks":
            done = checks
        else:
            done = f"{self.materialized} assets"
        return done + failed


class PhaseProgress(logging.Handler):
    """Turns Dagster's event records into the run's terminal lines."""

    def __init__(self, stream: TextIO, phases: dict[str, Phase], dbt_totals: dict[str, int], started: float):
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.phases = phases
        self.step_phase = {step: phase for phase in phases.values() for step in phase.steps}
        self.dbt_totals = dbt_totals
        self.started = started
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.live_line = False
        self.reported: set[str] = set()

    def _write(self, text: str) -> None:
        if self.live_line:  # a finished line replaces the live one
            self.stream.write("\r\033[K")
            self.live_line = False
        self.stream.write(text)
        self.stream.flush()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:6.1f}s"

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        try:
            self._show(event)
        except Exception:  # the terminal lines must never fail the run
            self.handleError(record)

    def _show(self, event) -> None:
        kind = event.event_type_value
        phase = self.step_phase.get(event.step_key or "")
        if kind in _RUN_ENDED:
            for name in self.phases:
                self._report(name)
            return
        if phase is None:
            return
        if kind == "ASSET_MATERIALIZATION":
            phase.materialized += 1
            metadata = {key: value.value for key, value in event.event_specific_data.materialization.metadata.items()}
            phase.rows_landed += metadata.get("rows_landed", 0) or 0
            phase.metadata.update(metadata)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                phase.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                phase.checks_warned += 1
                self._write(f"  {self._elapsed()}  warn     {_check_name(evaluation)}\n")
            else:
                phase.checks_failed += 1
                self._write(f"  {self._elapsed()}  FAIL     {_check_name(evaluation)}\n")
        elif kind in _FINISHED:
            phase.finished.add(event.step_key)
            if kind == "STEP_FAILURE":
                phase.steps_failed += 1
                self._write(f"  {self._elapsed()}  FAIL     step {event.step_key} (the error is in the summary)\n")
            if phase.done:
                self._report(phase.name)
        if phase.name == "dbt" and self.live and phase.name not in self.reported:
            self.stream.write(
                f"\r\033[K  {self._elapsed()}  dbt      model {phase.materialized}/{self.dbt_totals['models']}, "
                f"test {phase.checks_passed + phase.checks_failed + phase.checks_warned}/{self.dbt_totals['tests']}"
            )
            self.stream.flush()
            self.live_line = True

    def _report(self, name: str) -> None:
        phase = self.phases[name]
        if name in self.reported or not (phase.finished or phase.materialized):
            return
        self.reported.add(name)
        self._write(f"  {self._elapsed()}  {name:<8} {phase.describe()}\n")


def _check_name(evaluation) -> str:
    return f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"


def plan_phases(step_keys: Iterable[str], dbt_step: str) -> dict[str, Phase]:
    """The job's steps grouped by phase, in the order the phases run."""
    phases: dict[str, Phase] = {}
    for step in step_keys:
        name = phase_of(step, dbt_step)
        phases.setdefault(name, Phase(name, set())).steps.add(step)
    order = ["ingest", "dbt", "publish", "reports", "email", "checks"]
    return {name: phases[name] for name in sorted(phases, key=order.index)}


def progress_logger(handler: logging.Handler, log_file: TextIO) -> dg.LoggerDefinition:
    """A Dagster logger that feeds ``handler`` and writes every event at DEBUG to ``log_file``."""

    @dg.logger(description="The salesops CLI's phase lines, and every event in the run's log file.")
    def salesops_progress(_init_context):
        log = logging.getLogger("salesops.progress")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        for old in list(log.handlers):
            log.removeHandler(old)
        to_file = logging.StreamHandler(log_file)
        to_file.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(to_file)
        log.addHandler(handler)
        return log

    return salesops_progress


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[TextIO]:
    """Everything printed meanwhile (dbt's log lines, libraries' warnings) goes to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_path.open("a", encoding="utf-8", buffering=1) as log_file,
        contextlib.redirect_stdout(log_file),
        contextlib.redirect_stderr(log_file),
    ):
        yield log_file
