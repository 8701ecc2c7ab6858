"""The report pack of the shared demo run: who gets what, what each report may name, and its figures.

Expected people come from the HR export (Supervisor EID, read here
independently of salesops); expected figures from the published marts, summed
here in plain Python; both are looked for in the text of the PDFs and HTML.
"""

import datetime as dt
import html as html_lib
import re
import shutil
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pypdfium2
import pytest

from publishing.reports import PackSettings, build_report_pack, charts
from publishing.reports.contexts import team_context
from publishing.reports.data import ReportData
from publishing.reports.render import render_report
from tests.conftest import as_of_date, employees, published

FISCAL_YEAR_START_MONTH = 1  # the default setting: fiscal quarters are calendar quarters


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def html_text(path: Path) -> str:
    markup = path.read_text(encoding="utf-8")
    markup = re.sub(r"<(style|svg)\b.*?</\1>", " ", markup, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", markup))


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def people_named(text: str, people: dict[str, dict]) -> set[str]:
    """The employee numbers of everyone in HR whose name or number the text contains."""
    text = normalized(text)
    found = set()
    for number, row in people.items():
        name = f"{row['First Name']} {row['Last Name']}"
        if re.search(rf"(?<![\w,.]){re.escape(number)}(?![\w,.])", text) or name in text:
            found.add(number)
    return found


def lines_below(people: dict[str, dict]) -> dict[str, set[str]]:
    """Everyone under each manager at any depth, from Supervisor EID."""
    below: dict[str, set[str]] = {}
    for number, row in people.items():
        boss, seen = row["Supervisor EID"] or None, set()
        while boss and boss not in seen:
            seen.add(boss)
            below.setdefault(boss, set()).add(number)
            boss = people[boss]["Supervisor EID"] or None if boss in people else None
    return below


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def percent(value) -> str:
    return "–" if value is None else f"{Decimal(value) * 100:,.1f} %"


@pytest.fixture(scope="module")
def pack(pipeline) -> dict:
    exports, data_dir = pipeline
    as_of = as_of_date(exports)
    directory = data_dir / "reports" / as_of.isoformat()
    people = employees(exports)
    sales = {number for number, row in people.items() if row["Department"] == "Sales"}
    return {
        "exports": exports,
        "data_dir": data_dir,
        "as_of": as_of,
        "dir": directory,
        "people": people,
        "sales": sales,
        "below": lines_below(people),
    }


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def test_the_pack_holds_every_manager_every_statement_and_the_company(pack, demo_run):
    directory, sales = pack["dir"], pack["sales"]
    managers = {boss for boss, line in pack["below"].items() if boss in sales and line & sales}
    as_of = pack["as_of"]
    with_statements = {
        row[0]
        for row in published(
            pack["data_dir"],
            f"""
        select distinct employee_number from marts.fct_commission_statements
        where period_start <= date '{as_of}'""",
        )
    }
    assert len(managers) >= 2 and len(with_statements) >= 5
    for stem in ["company", *(f"managers/{m}" for m in managers), *(f"statements/{p}" for p in with_statements)]:
        for suffix in (".html", ".pdf"):
            path = directory / f"{stem}{suffix}"
            assert path.is_file() and path.stat().st_size > 1000, path
    assert {path.stem for path in (directory / "managers").glob("*.pdf")} == managers
    assert {path.stem for path in (directory / "statements").glob("*.pdf")} == with_statements
    index = html_text(directory / "index.html")
    assert f"Reports as of {as_of}" in index
    assert str(directory / "index.html") in demo_run.output  # the run summary says where they are


def test_a_manager_report_names_exactly_the_managers_reporting_line(pack):
    people, below = pack["people"], pack["below"]
    checked = 0
    for pdf in sorted((pack["dir"] / "managers").glob("*.pdf")):
        manager = pdf.stem
        expected = {manager, *below[manager]}
        assert people_named(pdf_text(pdf), people) == expected, pdf
        assert people_named(html_text(pdf.with_suffix(".html")), people) == expected, pdf
        checked += 1
    assert checked >= 2


def test_a_statement_names_only_its_person(pack):
    people = pack["people"]
    statements = sorted((pack["dir"] / "statements").glob("*.pdf"))
    assert statements
    for pdf in statements:
        assert people_named(pdf_text(pdf), people) == {pdf.stem}, pdf
        assert people_named(html_text(pdf.with_suffix(".html")), people) == {pdf.stem}, pdf


def test_the_company_report_covers_all_of_sales_and_nobody_else(pack):
    found = people_named(pdf_text(pack["dir"] / "company.pdf"), pack["people"])
    assert found == pack["sales"]


def test_every_managers_attainment_table_equals_the_marts(pack):
    """Each manager (the top and every level below): their line's rows and totals, from fct_quota_attainment."""
    people, as_of = pack["people"], pack["as_of"]
    start = quarter_start(as_of)
    end = dt.date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1) - dt.timedelta(days=1)
    quarter: dict[str, list[Decimal]] = {}
    for number, full, effective, credited in published(
        pack["data_dir"],
        f"""
            select employee_number, full_quota, effective_quota, credited_bookings from marts.fct_quota_attainment
            where period_start between date '{start}' and date '{end}'""",
    ):
        entry = quarter.setdefault(number, [Decimal(0)] * 3)
        for index, value in enumerate((full, effective, credited)):
            entry[index] += value
    managers = sorted((pack["dir"] / "managers").glob("*.pdf"))
    assert len(managers) >= 3  # the head of sales and the managers below them
    for pdf in managers:
        manager = pdf.stem
        line = {manager, *pack["below"][manager]}
        sums = {number: figures for number, figures in quarter.items() if number in line}
        assert len(sums) >= 2
        text = normalized(pdf_text(pdf))
        for number, (full, effective, credited) in sums.items():
            row = people[number]
            attainment = (credited / effective).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
            expected = (
                f"{row['First Name']} {row['Last Name']} {number} {row['Job Title']} {money(full)} "
                f"{money(effective)} {money(credited)} {percent(attainment)}"
            )
            assert expected in text, (manager, expected)
        team_quota = sum(effective for _, effective, _ in sums.values())
        team_credited = sum(credited for _, _, credited in sums.values())
        assert f"Credited so far {money(team_credited)}" in text
        assert f"Effective quota {money(team_quota)}" in text


def expected_statement_text(data_dir: Path, statement: tuple) -> list[str]:
    """The summary and every line of one statement as the PDF prints them, from the marts."""
    number, plan, start, end, credited, commission, spiffs, clawbacks, earned, draw, payout = statement
    year = published(
        data_dir,
        f"""
        select sum(credited_bookings), sum(commission), sum(payout) from marts.fct_commission_statements
        where employee_number = '{number}' and period_start between date '{start.year}-01-01' and date '{start}'""",
    )
    ytd_credited, ytd_commission, ytd_payout = year[0]
    expected = [
        f"{plan}, {start} – {end}",
        f"Credited bookings {money(credited)} {money(ytd_credited)}",
        f"Commission {money(commission)} {money(ytd_commission)}",
        f"SPIFFs {money(spiffs)}",
        f"Clawbacks {money(clawbacks)}",
        f"Earned {money(earned)}",
        f"Draw paid {money(draw)}",
        f"Payout {money(payout)} {money(ytd_payout)}",
    ]
    lines = published(
        data_dir,
        f"""
        select line_type, opportunity_id, close_date, credited_amount, band_from, band_to, rate, amount
        from marts.fct_commission_lines
        where employee_number = '{number}' and (
            (plan_id = '{plan}' and period_start = date '{start}')
            or (line_type = 'uncredited' and period_start between date '{start}' and date '{end}'))""",
    )
    for kind, opportunity, closed, line_credit, band_from, band_to, rate, amount in lines:
        if kind == "commission":
            expected.append(
                f"{opportunity} {closed} {money(line_credit)} {percent(band_from)} {percent(band_to)} "
                f"{percent(rate)} {money(amount)}"
            )
        elif kind == "uncredited":
            expected.append(f"{opportunity} {closed} {money(line_credit)}")
        else:
            expected.append(normalized(f"{kind.capitalize()} {opportunity or ''} {closed or ''} {money(amount)}"))
    return expected


def test_every_statement_equals_the_marts_line_by_line(pack):
    """Current and last closed period of every statement file: summary, year to date and each line."""
    data_dir, as_of = pack["data_dir"], pack["as_of"]
    statements = published(
        data_dir,
        """
        select employee_number, plan_id, period_start, period_end, credited_bookings, commission, spiffs,
            clawbacks, earned, draw_paid, payout
        from marts.fct_commission_statements order by employee_number, period_start""",
    )
    kinds_seen = set()
    for pdf in sorted((pack["dir"] / "statements").glob("*.pdf")):
        own = [row for row in statements if row[0] == pdf.stem]
        current = [row for row in own if row[2] <= as_of <= row[3]]
        last_end = max((row[3] for row in own if row[3] < as_of), default=None)
        shown = current + [row for row in own if row[3] == last_end]
        assert shown
        text = normalized(pdf_text(pdf))
        for statement in shown:
            for expected in expected_statement_text(data_dir, statement):
                assert expected in text, (pdf.stem, expected)
                kinds_seen.add(expected.split(" ")[0])
    assert {"Clawback", "Draw"} <= kinds_seen  # the demo data exercises more than commission lines


def test_the_pdf_has_a_running_header_and_page_numbers(pack):
    manager = sorted((pack["dir"] / "managers").glob("*.pdf"))[0]
    row = pack["people"][manager.stem]
    document = pypdfium2.PdfDocument(manager)
    try:
        pages = len(document)
        first = normalized(document[0].get_textpage().get_text_range())
        last = normalized(document[pages - 1].get_textpage().get_text_range())
    finally:
        document.close()
    assert pages >= 2
    header = f"{row['First Name']} {row['Last Name']} ({manager.stem})"
    assert header in first and header in last
    assert f"as of {pack['as_of']}" in first
    assert f"Page 1 of {pages}" in first and f"Page {pages} of {pages}" in last


def test_the_html_is_self_contained(pack):
    for path in [pack["dir"] / "company.html", *sorted((pack["dir"] / "statements").glob("*.html"))[:2]]:
        markup = path.read_text(encoding="utf-8")
        assert "<script" not in markup and "http://" not in markup.replace("http://www.w3.org", "")
        assert "https://" not in markup and "<link" not in markup
    assert markup.count("<svg") == 0  # statements carry no chart
    assert (pack["dir"] / "company.html").read_text(encoding="utf-8").count("<svg") >= 6


def test_each_chart_of_a_page_keeps_to_its_own_box_in_the_reports_font(pack):
    """Charts inlined together: each ``<svg>`` clips to its own view box (no shared clip-path id to cut every
    chart to the first one's box), and its text is in the reports' font, titles bold."""
    charts_markup = re.findall(
        r"<svg\b.*?</svg>", (pack["dir"] / "company.html").read_text(encoding="utf-8"), flags=re.S
    )
    assert len(charts_markup) >= 6
    for chart in charts_markup:
        root = ET.fromstring(chart)
        assert root.get("overflow") == "hidden"
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
        assert "clip-path" not in chart and " id=" not in chart
    texts = [text for chart in charts_markup for text in ET.fromstring(chart).iter("{http://www.w3.org/2000/svg}text")]
    assert {text.get("style") for text in texts} == {"font-family: 'DejaVu Sans';"}
    assert any(text.get("font-weight") == "bold" and text.text == "Forecast vs quota" for text in texts)


def test_a_chart_becomes_well_formed_svg_with_every_bar_and_label_in_place():
    """The HTML's SVG is written from the drawing's shapes: each bar keeps its amount's share, text reads upright."""
    movements = [("Opening", 100.0), ("Created", 50.0), ("Won", -30.0), ("Closing", 120.0)]
    drawing = charts.waterfall("November 2026", movements)
    root = ET.fromstring(charts.svg(drawing))
    svg = "{http://www.w3.org/2000/svg}"
    texts = {element.text: element for element in root.iter(f"{svg}text")}
    assert {"Pipeline waterfall, November 2026", "Opening", "Created", "Won", "Closing"} <= texts.keys()
    # ReportLab puts the title 11 units under the top edge; the flipped group and the text's own flip put it back.
    title = texts["Pipeline waterfall, November 2026"]
    assert root.find(f"{svg}g").get("transform") == f"matrix(1,0,0,-1,0,{drawing.height:g})"
    assert title.get("transform") == "scale(1,-1)" and -float(title.get("y")) == drawing.height - 11
    bars = [rect for rect in root.iter(f"{svg}rect") if rect.get("fill") in ("#1f5fa8", "#2e8b57", "#c0392b")]
    heights = [float(bar.get("height")) for bar in bars]
    assert [bar.get("fill") for bar in bars] == ["#1f5fa8", "#2e8b57", "#c0392b", "#1f5fa8"]
    assert [height / heights[0] for height in heights] == pytest.approx([1.0, 0.5, 0.3, 1.2], abs=1e-3)


def test_the_same_figures_give_the_same_pdf_bytes(pack, tmp_path):
    """No timestamp or random id in a PDF: a report rendered again is byte for byte the one already sent."""
    data = ReportData(pack["data_dir"] / "warehouse" / "salesops.duckdb", FISCAL_YEAR_START_MONTH, 30)
    context = team_context(data, min(data.hierarchy.managers), None)
    for name in ("first", "again"):
        render_report(context, tmp_path / f"{name}.html", tmp_path / f"{name}.pdf")
    assert (tmp_path / "first.pdf").read_bytes() == (tmp_path / "again.pdf").read_bytes()


def test_a_rerun_renders_only_the_reports_whose_figures_changed(pack, tmp_path):
    """Change one person's payout in a copy of the publication: only reports that show it are rendered again."""
    database = tmp_path / "salesops.duckdb"
    shutil.copyfile(pack["data_dir"] / "warehouse" / "salesops.duckdb", database)
    reports = tmp_path / "reports"
    settings = PackSettings(fiscal_year_start_month=FISCAL_YEAR_START_MONTH, stale_deal_days=30, workers=1)
    first = build_report_pack(database, reports, settings)
    again = build_report_pack(database, reports, settings)
    assert first.rendered == len(first.reports) and again.rendered == 0

    as_of = pack["as_of"]
    with duckdb.connect(str(database)) as connection:
        person = connection.execute(f"""
            select employee_number from marts.fct_commission_statements
            where date '{as_of}' between period_start and period_end order by employee_number limit 1""").fetchone()[0]
        connection.execute(f"""
            update marts.fct_commission_statements set payout = payout + 1
            where employee_number = '{person}' and date '{as_of}' between period_start and period_end""")
    managers_above, boss = set(), pack["people"][person]["Supervisor EID"] or None
    while boss:
        managers_above.add(boss)
        boss = pack["people"][boss]["Supervisor EID"] or None
    before = {path: path.stat().st_mtime_ns for path in reports.rglob("*.pdf")}
    changed = build_report_pack(database, reports, settings)
    expected = {f"statements/{person}.pdf", "company.pdf", *(f"managers/{m}.pdf" for m in managers_above)}
    rewritten = {
        str(path.relative_to(changed.directory)) for path, mtime in before.items() if path.stat().st_mtime_ns != mtime
    }
    assert rewritten == expected
    assert changed.rendered == len(expected)


def test_with_two_tops_of_sales_the_company_report_goes_to_nobody(pack, tmp_path):
    """A manager whose Supervisor EID is empty makes a second top: nobody is sent everyone's pay by default."""
    database = tmp_path / "salesops.duckdb"
    shutil.copyfile(pack["data_dir"] / "warehouse" / "salesops.duckdb", database)
    second_top = min(boss for boss, line in pack["below"].items() if pack["people"][boss]["Supervisor EID"])
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            f"update marts.dim_sales_reps set manager_employee_number = null where employee_number = '{second_top}'"
        )
    settings = PackSettings(fiscal_year_start_month=FISCAL_YEAR_START_MONTH, stale_deal_days=30, workers=1)
    built = build_report_pack(database, tmp_path / "reports", settings)
    assert built.company_recipient is None
    company = next(report for report in built.reports if report["kind"] == "company")
    assert company["recipient_employee_number"] is None
    text = normalized(pdf_text(built.directory / "company.pdf"))
    assert "Company report Head of sales (not set)" in text
    assert people_named(text, pack["people"]) == pack["sales"]  # still the whole company
    assert "set SALESOPS_HEAD_OF_SALES" in html_text(built.directory / "index.html")
