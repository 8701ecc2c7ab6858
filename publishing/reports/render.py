"""HTML and PDF from a report context: Jinja2 templates for the HTML, ReportLab for the PDF.

The HTML is self-contained (styles inline, charts as inline SVG, no script, no
CDN); the PDF (``pdf.py``) lays out the same sections with running headers
(recipient, period, as-of date) and page numbers. Both draw the same charts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path

import jinja2

from publishing.reports import charts, formats, pdf
from publishing.reports.formats import kpi, money, percent, ratio
from salesops.files import write_atomically

TEMPLATES_DIR = Path(__file__).with_name("templates")
REPORT_TITLES = {"company": "Company report", "manager": "Manager report", "statement": "Commission statement"}
TEMPLATES = {"company": "team.html.j2", "manager": "team.html.j2", "statement": "statement.html.j2"}
MAX_LISTED_DEALS = 20


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, percent=percent, ratio=ratio, kpi=kpi)
    return env


@cache
def stylesheet() -> str:
    return (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")


@cache
def layout_fingerprint() -> str:
    """Changes with any template, the stylesheet, or the PDF or chart layout: a new layout re-renders every report."""
    digest = hashlib.sha256()
    for path in [*sorted(TEMPLATES_DIR.iterdir()), *(Path(module.__file__) for module in (charts, formats, pdf))]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _team_charts(context: dict) -> dict:
    """The charts of a manager or company report, as drawings (None where there is no data)."""
    latest = context["waterfall"][-1] if context["waterfall"] else None
    forecast = context["forecast"]
    return {
        "waterfall": charts.waterfall(
            latest["month"].strftime("%B %Y"),
            [
                ("Opening", float(latest["opening_amount"])),
                ("Created", float(latest["created_amount"])),
                ("Pulled in", float(latest["pulled_in_amount"])),
                ("Pushed out", -float(latest["pushed_out_amount"])),
                ("Won", -float(latest["won_amount"])),
                ("Lost", -float(latest["lost_amount"])),
                ("Removed", -float(latest["removed_amount"])),
                ("Change", float(latest["amount_change"])),
                ("Closing", float(latest["closing_amount"])),
            ],
        )
        if latest
        else None,
        "forecast": charts.forecast(
            [("Credited so far", float(forecast["credited_so_far"]))]
            + [(row["category"], float(row["amount"])) for row in forecast["categories"]],
            float(forecast["effective_quota"]) or None,
        ),
        "trends": [
            charts.kpi_trend(trend["title"], context["trend_months"], trend["series"], trend["percent"])
            for trend in context["trends"]
        ],
    }


def _svg_charts(drawings: dict) -> dict:
    return {
        "waterfall": charts.svg(drawings["waterfall"]) if drawings["waterfall"] is not None else "",
        "forecast": charts.svg(drawings["forecast"]),
        "trends": [charts.svg(drawing) for drawing in drawings["trends"]],
    }


def _render_html(context: dict, charts: dict) -> str:
    return (
        environment()
        .get_template(TEMPLATES[context["kind"]])
        .render(
            context=context,
            title=REPORT_TITLES[context["kind"]],
            css=stylesheet(),
            charts=charts,
            max_listed=MAX_LISTED_DEALS,
        )
    )


def render_index(as_of: dt.date, reports: list[dict], rendered: int, unassigned_company: bool) -> str:
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            as_of=as_of,
            reports=reports,
            rendered=rendered,
            css=stylesheet(),
            unassigned_company=unassigned_company,
            titles=REPORT_TITLES,
        )
    )


def render_report(context: dict, html_path: Path, pdf_path: Path) -> None:
    """Write one report's HTML and PDF (each replaced atomically)."""
    drawings = _team_charts(context) if context["kind"] in ("manager", "company") else {}
    html_charts = _svg_charts(drawings) if drawings else {}
    write_atomically(html_path, _render_html(context, html_charts).encode("utf-8"))
    write_atomically(pdf_path, pdf.render_pdf(context, REPORT_TITLES[context["kind"]], drawings, MAX_LISTED_DEALS))
