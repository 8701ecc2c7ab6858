"""HTML and PDF from a report context: Jinja2 templates, inline SVG charts, WeasyPrint.

The HTML is self-contained (styles inline, charts as inline SVG, no script, no
CDN); the PDF is printed from the same HTML with running headers (recipient,
period, as-of date) and page numbers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2

from publishing.reports import charts
from publishing.reports.data import PERCENT_KPIS
from salesops.files import write_atomically

TEMPLATES_DIR = Path(__file__).with_name("templates")
REPORT_TITLES = {"company": "Company report", "manager": "Manager report", "statement": "Commission statement"}
TEMPLATES = {"company": "team.html.j2", "manager": "team.html.j2", "statement": "statement.html.j2"}
MAX_LISTED_DEALS = 20


def money(value) -> str:
    if value is None:
        return "–"
    return f"{Decimal(value):,.2f}"


def percent(value) -> str:
    if value is None:
        return "–"
    return f"{Decimal(value) * 100:,.1f} %"


def ratio(value) -> str:
    """Coverage and other multiples: 1.85×."""
    if value is None:
        return "–"
    return f"{float(value):,.2f}×"


def kpi(value, name: str) -> str:
    if value is None:
        return "–"
    if name in PERCENT_KPIS:
        return f"{value * 100:.0f} %"
    if name == "sales_cycle_days":
        return f"{value:.0f}"
    return f"{value:,.0f}"


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
def templates_fingerprint() -> str:
    """Changes whenever a template or the stylesheet does, so that a new layout re-renders every report."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES_DIR.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _team_charts(context: dict) -> dict:
    latest = context["waterfall"][-1] if context["waterfall"] else None
    waterfall_svg = ""
    if latest:
        waterfall_svg = charts.waterfall(
            latest["month"].strftime("%B %Y"),
            [
                ("Opening", float(latest["opening_amount"])),
                ("Created", float(latest["created_amount"])),
                ("Pulled in", float(latest["pulled_in_amount"])),
                ("Pushed out", -float(latest["pushed_out_amount"])),
                ("Won", -float(latest["won_amount"])),
                ("Lost", -float(latest["lost_amount"])),
                ("Removed", -float(latest["removed_amount"])),
                ("Amount change", float(latest["amount_change"])),
                ("Closing", float(latest["closing_amount"])),
            ],
        )
    forecast = context["forecast"]
    return {
        "waterfall": waterfall_svg,
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


def _as_image(svg: str) -> str:
    """A chart as an image rather than inline SVG markup.

    For the PDF only: WeasyPrint styles every inline SVG node as an HTML element
    (a fifth of a manager report's cost); as an image it is drawn the same, still vector.
    """
    if not svg:
        return svg
    return f'<img alt="" src="data:image/svg+xml;base64,{base64.b64encode(svg.encode("utf-8")).decode("ascii")}">'


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


@cache
def _pdf_resources():
    """Fonts and the parsed stylesheet, once per process: about a third of a small PDF's cost otherwise."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, weasyprint.CSS(string=stylesheet(), font_config=fonts)


def render_report(context: dict, html_path: Path, pdf_path: Path) -> None:
    """Write one report's HTML and PDF (each replaced atomically)."""
    import weasyprint

    charts = _team_charts(context) if context["kind"] in ("manager", "company") else {}
    write_atomically(html_path, _render_html(context, charts).encode("utf-8"))
    printable_charts = (
        {
            "waterfall": _as_image(charts["waterfall"]),
            "forecast": _as_image(charts["forecast"]),
            "trends": [_as_image(chart) for chart in charts["trends"]],
        }
        if charts
        else {}
    )
    fonts, parsed_stylesheet = _pdf_resources()
    # The PDF takes the stylesheet parsed once rather than the HTML's inline copy.
    printable = weasyprint.HTML(
        string=_render_html(context, printable_charts).replace(f"<style>{stylesheet()}</style>", "", 1),
        base_url=str(html_path.parent),
    )
    write_atomically(pdf_path, printable.write_pdf(font_config=fonts, stylesheets=[parsed_stylesheet]))
