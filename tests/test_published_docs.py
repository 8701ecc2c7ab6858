"""The marts describe themselves (issue 13).

Every mart and every one of its columns has a YAML description that reaches the
published table and column comments; money says its currency and unit, ratios
their scale; the exposures name exactly the marts their readers query; and
`make docs` writes a docs page that opens from disk with no network.
"""

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

from tests.conftest import dbt_manifest, published

ROOT = Path(__file__).resolve().parent.parent
REPORT_DATA = ROOT / "publishing" / "reports" / "data.py"

# Money (marts.md: the reporting currency's major unit, DECIMAL(18,2)): a column is money when a part of
# its name (split on "_") is one of these. They cover the marts' money columns: amount, weighted_amount,
# credited_amount, the waterfall's opening/created/pulled_in/pushed_out/won/lost/removed/closing_amount
# and amount_change, the forecast's commit/best_case/pipeline/open_amount, mrr, previous_mrr, mrr_change,
# full_quota, effective_quota, credited_bookings, commission, spiffs, clawbacks, earned, draw_paid,
# draw_balance, payout.
MONEY_WORDS = {"amount", "mrr", "quota", "bookings", "commission", "spiffs", "clawbacks", "earned", "draw", "payout"}
MONEY_TYPES = {"decimal(18,2)"}
CURRENCY = "in the reporting currency (USD by default), dollars"
# Ratios (marts.md: fractions, 0.25 not 25): probability, attainment, rate, conversion_rate_to_next and
# _to_won, and the commission tiers' attainment bounds band_from / band_to.
RATIO_WORDS = {"rate", "probability", "attainment"}
RATIO_NAMES = {"band_from", "band_to"}
RATIO_TYPES = {"decimal(18,6)", "decimal(5,4)"}
# "a fraction: 0.25 means 25 %", "a multiple: 1.5 means 150 %" (words may stand before the colon).
SCALE = re.compile(r"a (?:fraction|multiple)\b[^:]*: (\d+(?:\.\d+)?) means (\d+) %")
# kpi_monthly is long format: `value` holds money, ratios, counts and days, by kpi.
MIXED = {("kpi_monthly", "value")}

# dbt-docs' own usage tracker: the page adds this script only when the embedded manifest says
# send_anonymous_usage_stats, which `make docs` turns off.
DBT_DOCS_TRACKER = "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"
EXTERNAL = r"(?:https?:)?//"


def marts() -> dict[str, dict]:
    return {
        spec["name"]: spec
        for spec in dbt_manifest()["nodes"].values()
        if spec["resource_type"] == "model" and spec["original_file_path"].startswith("models/marts/")
    }


def _type(column: dict) -> str:
    return (column.get("data_type") or "").lower().replace(" ", "")


def is_money(name: str) -> bool:
    return bool(MONEY_WORDS & set(name.split("_")))


def is_ratio(name: str) -> bool:
    return name in RATIO_NAMES or bool(RATIO_WORDS & set(name.split("_")))


def states_scale(description: str) -> bool:
    """Names the scale with a worked example whose arithmetic is right (0.25 means 25 %)."""
    examples = SCALE.findall(description)
    return bool(examples) and all(Decimal(ratio) * 100 == Decimal(percent) for ratio, percent in examples)


def exposure(name: str) -> set[str]:
    """The models an exposure of the project depends on, by name."""
    manifest = dbt_manifest()
    spec = manifest["exposures"][f"exposure.salesops.{name}"]
    return {manifest["nodes"][node]["name"] for node in spec["depends_on"]["nodes"]}


def test_every_mart_and_every_column_carries_its_description(pipeline):
    _, data_dir = pipeline
    specs = marts()
    tables = dict(published(data_dir, "select table_name, comment from duckdb_tables() where schema_name = 'marts'"))
    assert set(tables) == set(specs)
    for name, spec in specs.items():
        assert (tables[name] or "").strip() == spec["description"].strip(), name
    columns = {
        (table, column): (comment or "").strip()
        for table, column, comment in published(
            data_dir, "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
        )
    }
    documented = {
        (name, column): spec_column["description"].strip()
        for name, spec in specs.items()
        for column, spec_column in spec["columns"].items()
    }
    assert [key for key, description in documented.items() if not description] == []
    assert set(columns) == set(documented)  # no published column without a YAML entry, and the reverse
    assert columns == documented
    # kpi_monthly.value says the unit of every KPI the mart holds.
    kpis = {kpi for (kpi,) in published(data_dir, "select distinct kpi from marts.kpi_monthly")}
    value = columns[("kpi_monthly", "value")]
    assert sorted(kpi for kpi in kpis if not re.search(rf"\b{kpi}\b", value)) == []


def test_money_says_its_currency_and_ratios_their_scale():
    money, ratios, wrong = set(), set(), []
    for table, spec in marts().items():
        for name, column in spec["columns"].items():
            key, description = (table, name), column["description"]
            if key in MIXED:
                if CURRENCY not in description or not states_scale(description):
                    wrong.append(f"{table}.{name}: states neither the currency nor the scale of every KPI")
                continue
            # The name rules and marts.md's types agree, so a new column cannot slip past them.
            if is_money(name) != (_type(column) in MONEY_TYPES):
                wrong.append(f"{table}.{name} ({_type(column)}): the money name rule and the type disagree")
            if is_ratio(name) != (_type(column) in RATIO_TYPES):
                wrong.append(f"{table}.{name} ({_type(column)}): the ratio name rule and the type disagree")
            if is_money(name):
                money.add(key)
                if CURRENCY not in description:
                    wrong.append(f"{table}.{name}: no '{CURRENCY}' in {description!r}")
            if is_ratio(name):
                ratios.add(key)
                if not states_scale(description):
                    wrong.append(f"{table}.{name}: no scale ('a fraction: 0.25 means 25 %') in {description!r}")
    assert wrong == []
    assert len(money) >= 40 and len(ratios) >= 8  # the rules match the marts' columns (not vacuous)


def test_every_mart_description_states_its_grain():
    without = [name for name, spec in marts().items() if not re.search(r"\bone row\b", spec["description"], re.I)]
    assert sorted(without) == []


def test_report_exposure_depends_on_exactly_the_marts_the_reports_read():
    read = set(re.findall(r"\bmarts\.([a-z_][a-z0-9_]*)", REPORT_DATA.read_text(encoding="utf-8")))
    assert read, "publishing/reports/data.py names no marts.<table>"
    assert exposure("report_pack") == read


def test_bi_exposure_depends_on_every_published_mart():
    missing = sorted(set(marts()) - exposure("published_marts_for_bi"))
    assert missing == [], "add ref() of each to exposure published_marts_for_bi in models/marts/_exposures.yml"
    assert exposure("published_marts_for_bi") <= set(marts())
    spec = dbt_manifest()["exposures"]["exposure.salesops.published_marts_for_bi"]
    assert spec["owner"]["email"] and spec["description"].strip()


def test_make_docs_writes_a_page_that_describes_the_marts_offline(pipeline, tmp_path):
    """`make docs` on a copy of a build (the catalog reads it): one page, manifest and catalog inside, no web."""
    _, data_dir = pipeline
    demo, docs = tmp_path / "demo", tmp_path / "docs"
    (demo / "warehouse").mkdir(parents=True)
    shutil.copy(data_dir / "warehouse" / "build.duckdb", demo / "warehouse" / "build.duckdb")
    completed = subprocess.run(
        ["make", "-s", "-o", "setup", "docs", f"DEMO_DIR={demo}", f"DOCS_DIR={docs}"],
        cwd=ROOT,
        env={**os.environ, "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    page = docs / "static_index.html"
    assert str(page) in completed.stdout.strip().splitlines()[-1]

    html = page.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    manifest = decoder.raw_decode(html, html.index('manifest:{"metadata"') + len("manifest:"))[0]
    catalog = decoder.raw_decode(html, html.index('catalog:{"metadata"') + len("catalog:"))[0]
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    for name, spec in marts().items():
        node = manifest["nodes"][spec["unique_id"]]
        assert node["description"] == spec["description"], name
        assert {column: c["description"] for column, c in node["columns"].items()} == {
            column: c["description"] for column, c in spec["columns"].items()
        }, name
        built = catalog["nodes"][spec["unique_id"]]["columns"]
        assert {column.lower() for column in built} == set(spec["columns"]), name
    assert {"exposure.salesops.report_pack", "exposure.salesops.published_marts_for_bi"} <= set(manifest["exposures"])

    # Nothing loaded from the web: no external script, stylesheet, image or frame, no external CSS import or
    # font, and no script the page adds at run time but the tracker that is off.
    tags = re.findall(
        rf"<(?:script|link|img|iframe|source|embed|object|video|audio)\b[^>]*?\b(?:src|href|data)\s*=\s*[\"']?"
        rf"{EXTERNAL}[^\"'\s>]*",
        html,
        re.IGNORECASE,
    )
    css = re.findall(rf"(?:@import\s*(?:url\()?|url\()\s*[\"']?{EXTERNAL}[^\"')\s]*", html, re.IGNORECASE)
    scripts = set(re.findall(rf"\bsrc\s*[=:]\s*[\"'`]({EXTERNAL}[^\"'`\s)]*)", html))
    assert tags == []
    assert css == []
    assert scripts <= {DBT_DOCS_TRACKER}
