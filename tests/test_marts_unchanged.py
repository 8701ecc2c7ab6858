"""A refactoring guard: every published mart on the demo exports equals a recorded fingerprint.

The demo exports are byte-identical for a seed, scale and as-of date, so the
marts built from them must be too. This catches a figure changed by accident
while models, macros or ingestion are reorganised. It is not where figures are
proven right (the value tests do that, from the export files); a deliberate
change of a figure rewrites the record, and the commit says why:

    SALESOPS_WRITE_MART_FINGERPRINTS=1 .venv/bin/python -m pytest tests/test_marts_unchanged.py

Excluded: when a delivery was loaded (`rpt_deliveries.loaded_at`, a clock).
Doubles are compared to 12 significant digits.
"""

import hashlib
import json
import os
from pathlib import Path

import duckdb

RECORD = Path(__file__).with_name("golden") / "mart_fingerprints.json"
EXCLUDED_COLUMNS = {("rpt_deliveries", "loaded_at")}


def fingerprints(database: Path) -> dict[str, dict]:
    """Rows and an order-independent hash of every mart table's values."""
    result = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if (table, name) not in EXCLUDED_COLUMNS
            ]
            rows = [
                tuple(map(_text, row))
                for row in connection.execute(f"select {', '.join(columns)} from marts.{table}").fetchall()
            ]
            result[table] = {
                "rows": len(rows),
                "sha256": _multiset_hash(json.dumps(row) for row in rows),
                # Per column too, so that a failure names what changed.
                "columns": {column: _multiset_hash(str(row[i]) for row in rows) for i, column in enumerate(columns)},
            }
    return result


def _text(value) -> str:
    """A value as text; a double to 12 significant digits, as DuckDB's parallel sums may differ in the last bit."""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def _multiset_hash(values) -> str:
    digest = hashlib.sha256()
    for value in sorted(values):
        digest.update(value.encode("utf-8") + b"\n")
    return digest.hexdigest()


def test_every_mart_equals_its_recorded_fingerprint(pipeline):
    _, data_dir = pipeline
    found = fingerprints(data_dir / "warehouse" / "salesops.duckdb")
    if os.environ.get("SALESOPS_WRITE_MART_FINGERPRINTS"):
        RECORD.parent.mkdir(exist_ok=True)
        RECORD.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert sorted(found) == sorted(recorded), "a mart was added or removed: rewrite the record (see the docstring)"
    changed = {
        table: sorted(
            column
            for column in {**recorded[table]["columns"], **found[table]["columns"]}
            if recorded[table]["columns"].get(column) != found[table]["columns"].get(column)
        )
        or ["(rows)"]
        for table in recorded
        if found[table] != recorded[table]
    }
    assert not changed, f"marts changed on the demo exports (table: columns): {changed}"
