"""The report pack of a publication: every manager, every statement, the company.

Layout: ``<reports dir>/<as-of date>/`` holds ``index.html``, ``manifest.json``,
``company.html|pdf``, ``managers/<employee #>.html|pdf`` and
``statements/<employee #>.html|pdf``. The manifest records two hashes of each
report: of what the files show (a re-run renders only the reports whose content
or templates changed) and of its figures alone (email delivery is keyed on it).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publishing.publish import as_of_date
from publishing.reports.contexts import statement_context, team_context
from publishing.reports.data import ReportData
from publishing.reports.render import layout_fingerprint, render_index, render_report
from salesops.files import write_atomically
from salesops.processes import started_process_pool

MANIFEST = "manifest.json"
# Below this many reports to render, worker start-up costs more than it saves (a new pack starts its workers
# before it knows how many: a pack is small only in a company of a handful of people).
PARALLEL_FROM = 8
RENDER_CHUNK = 8


@dataclass(frozen=True)
class PackSettings:
    fiscal_year_start_month: int
    stale_deal_days: int
    head_of_sales: str | None = None
    workers: int = 2


@dataclass
class ReportPack:
    directory: Path
    reports: list[dict] = field(default_factory=list)
    rendered: int = 0
    company_recipient: str | None = None

    @property
    def index(self) -> Path:
        return self.directory / "index.html"


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def figures_hash(context: dict) -> str:
    """What a report tells its reader: every figure, not the footer (checks, deliveries) nor the layout.

    Email delivery is keyed on it, so re-rendering a report for a new layout or a
    changed check does not mail the same figures again.
    """
    return _hash({key: value for key, value in context.items() if key != "footer"})


def render_hash(context: dict, figures: str) -> str:
    """What the files show: the figures (their hash), the footer and the templates; a report is rendered
    again when it changes. Built on ``figures`` so that each context is serialised once, not twice."""
    return _hash([figures, context["footer"], layout_fingerprint()])


def _headline(context: dict) -> dict:
    """The few figures an email body shows (the PDF carries the rest)."""
    if context["kind"] == "statement":
        current = context["statements"][0] if context["statements"] else None
        return (
            {}
            if current is None
            else {
                "label": current["label"],
                "plan_id": current["plan_id"],
                "period": f"{current['period_start']} – {current['period_end']}",
                "attainment": str(current["attainment"]) if current["attainment"] is not None else None,
                "earned": str(current["earned"]),
                "payout": str(current["payout"]),
            }
        )
    forecast = context["forecast"]
    return {
        "quarter": context["period"]["quarter_label"],
        "attainment": str(forecast["attainment"]) if forecast["attainment"] is not None else None,
        "credited_bookings": str(forecast["credited_so_far"]),
        "effective_quota": str(forecast["effective_quota"]),
        "coverage": context["coverage"],
    }


def _planned_reports(data: ReportData, head: str | None) -> list[tuple[str, str | None, str]]:
    """(kind, recipient's employee number, file stem) of every report of the pack, in rendering order."""
    hierarchy = data.hierarchy
    planned = [("company", head, "company")]
    planned += [("manager", manager, f"managers/{manager}") for manager in hierarchy.managers]
    for person in sorted(
        data.statements,
        key=lambda number: (hierarchy.people[number].name if number in hierarchy.people else "", number),
    ):
        if data.current_and_last_closed(person):
            planned.append(("statement", person, f"statements/{person}"))
    return planned


def _report(data: ReportData, kind: str, number: str | None, stem: str, checks: dict | None) -> tuple[dict, dict]:
    """(manifest entry, context) of one report."""
    if kind == "statement":
        context = statement_context(data, number, checks)
    else:
        context = team_context(data, number, checks, company=kind == "company")
    figures = figures_hash(context)
    entry = {
        "key": kind if kind == "company" else f"{kind}:{number}",
        "kind": kind,
        # The company report reaches no one until there is a single head of sales (or the setting names one).
        "recipient_employee_number": number,
        "recipient_name": context["recipient"]["name"],
        "html": f"{stem}.html",
        "pdf": f"{stem}.pdf",
        "render_hash": render_hash(context, figures),
        "figures_hash": figures,
        "headline": _headline(context),
    }
    return entry, context


def _previous_hashes(directory: Path) -> dict[str, str]:
    manifest = directory / MANIFEST
    if not manifest.exists():
        return {}
    # A manifest written by an earlier salesops may lack the hash: such a report is simply rendered again.
    return {report["key"]: report.get("render_hash") for report in json.loads(manifest.read_text("utf-8"))["reports"]}


def build_report_pack(
    published_database: Path, reports_dir: Path, settings: PackSettings, checks: dict | None = None
) -> ReportPack:
    """Render the pack of the current publication; reports whose data did not change are kept as they are."""
    directory = current_pack_directory(published_database, reports_dir)
    previous = _previous_hashes(directory)
    entries = []
    # A new pack renders every report: its workers start now, importing the renderer while the data is read,
    # and render the reports chunk by chunk as they are planned.
    with _workers(settings.workers if not previous else 1) as early_workers:
        data = ReportData(published_database, settings.fiscal_year_start_month, settings.stale_deal_days)
        head = data.hierarchy.head_of_sales(settings.head_of_sales)
        planned = _planned_reports(data, head)
        rendering = _Rendering(early_workers, settings.workers, len(planned))
        try:
            for kind, number, stem in planned:
                entry, context = _report(data, kind, number, stem, checks)
                entries.append(entry)
                html_path, pdf_path = directory / entry["html"], directory / entry["pdf"]
                if previous.get(entry["key"]) != entry["render_hash"] or not (html_path.exists() and pdf_path.exists()):
                    rendering.add((context, html_path, pdf_path))
            rendering.finish()
        except BaseException:
            rendering.cancel()  # the first error ends the pack: the chunks still queued are not rendered
            raise
    pack = ReportPack(directory, entries, rendering.count, head)
    _remove_dropped_reports(directory, pack.reports)
    write_atomically(
        directory / "index.html",
        render_index(data.as_of, pack.reports, pack.rendered, unassigned_company=head is None).encode("utf-8"),
    )
    write_atomically(
        directory / MANIFEST,
        json.dumps({"as_of": data.as_of.isoformat(), "reports": pack.reports}, indent=2).encode("utf-8"),
    )
    return pack


def _remove_dropped_reports(directory: Path, reports: list[dict]) -> None:
    """Delete the files of reports no longer in the pack (a person who left the line, a manager without reports)."""
    kept = {directory / report[suffix] for report in reports for suffix in ("html", "pdf")}
    for folder in ("managers", "statements"):
        for path in (directory / folder).glob("*.*"):
            if path.suffix in (".html", ".pdf") and path not in kept:
                path.unlink()


def current_pack_directory(published_database: Path, reports_dir: Path) -> Path:
    """The pack folder of the current publication (its as-of date)."""
    as_of = as_of_date(published_database)
    if as_of is None:
        raise RuntimeError(
            f"{published_database}: marts.rpt_deliveries is empty: the publication was built from no delivery, "
            "so it has no as-of date to report on."
        )
    return reports_dir / as_of.isoformat()


def _chunk_size(reports: int, workers: int) -> int:
    # One future and one round trip per chunk of reports, not per report; small enough that a small pack
    # still spreads over every worker.
    return max(1, min(RENDER_CHUNK, reports // (4 * workers)))


class _Rendering:
    """The reports to render. Given ``started`` workers, they get the reports in chunks as they come (sized
    for the ``expected`` number); without, the reports are rendered at the end, in new workers when there
    are enough to repay their start-up."""

    def __init__(self, started: concurrent.futures.ProcessPoolExecutor | None, workers: int, expected: int):
        self.pool, self.workers = started, workers
        self.chunk = _chunk_size(expected, workers)
        self.waiting: list[tuple[dict, Path, Path]] = []
        self.submitted: list[concurrent.futures.Future] = []
        self.count = 0

    def add(self, job: tuple[dict, Path, Path]) -> None:
        # Pickled later, by the pool's thread, while planning goes on: a job's context is not changed after.
        self.count += 1
        self.waiting.append(job)
        if self.pool is not None and len(self.waiting) == self.chunk:
            self.submitted.append(self.pool.submit(_render_chunk, self.waiting))
            self.waiting = []

    def cancel(self) -> None:
        for chunk in self.submitted:
            chunk.cancel()

    def finish(self) -> None:
        """Render what is left and wait for every chunk (a chunk's error is raised here)."""
        if self.pool is not None:
            if self.waiting:
                self.submitted.append(self.pool.submit(_render_chunk, self.waiting))
            for chunk in self.submitted:
                chunk.result()
        elif self.workers <= 1 or len(self.waiting) < PARALLEL_FROM:
            _render_chunk(self.waiting)
        else:
            with _workers(self.workers) as pool:
                size = _chunk_size(len(self.waiting), self.workers)
                chunks = [self.waiting[start : start + size] for start in range(0, len(self.waiting), size)]
                for _ in pool.map(_render_chunk, chunks):
                    pass


@contextlib.contextmanager
def _workers(count: int) -> Iterator[concurrent.futures.ProcessPoolExecutor | None]:
    """``count`` rendering processes, started at once (None when ``count`` is 1: render here)."""
    if count <= 1:
        yield None
        return
    with started_process_pool(count, _prepare_worker) as pool:
        yield pool


def _prepare_worker() -> None:
    """Import the renderer now, and collect less often: a report makes many short-lived objects."""
    import publishing.reports.render  # noqa: F401

    gc.set_threshold(20_000, 20, 20)


def _render_chunk(jobs: list[tuple[dict, Path, Path]]) -> None:
    for job in jobs:
        render_report(*job)
