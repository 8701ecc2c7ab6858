"""Quarantine: rows that break a row rule are set aside, and the rest of their delivery lands.

Only inputs named in the ``quarantine`` setting are treated so (never one that
commissions are computed from, see ``contracts.FEEDS_PAY``); in any other input a
bad row blocks the run. Each set-aside row is kept, one record per rule it
breaks, with the rule, the file and line, its values as delivered and the run,
in ``<lake>/quarantine/<source>/<entity>/delivery=<id>/``. Corrected, it lands
with a later delivery like any other row: the staging models keep an id's
latest delivery.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.readers import LINEAGE_FIELDS, RawBatch, lineage_arrays, read_records

if TYPE_CHECKING:  # the lake needs this module's schema without loading the quality gate (pandas, GX)
    from ingestion.quality import BatchValidation, Failure

QUARANTINE_FIELDS = (
    pa.field("source", pa.string()),
    pa.field("entity", pa.string()),
    pa.field("record_id", pa.string()),
    pa.field("rule", pa.string()),
    pa.field("column_name", pa.string()),
    pa.field("value", pa.string()),
    pa.field("record", pa.string()),
    pa.field("run_id", pa.string()),
)
"""One row per set-aside record and rule: the rule in words, the column and value that broke it, the whole
record as delivered (JSON: header label -> text), the id columns' values, and the run; then the lineage."""


def empty_quarantine_table() -> pa.Table:
    return pa.schema([*QUARANTINE_FIELDS, *LINEAGE_FIELDS]).empty_table()


@dataclass
class Quarantined:
    """What was set aside from one delivered file."""

    file: str
    table: pa.Table
    rows_by_rule: dict[str, int]
    """Rule (column and rule in words) -> how many rows broke it."""

    @property
    def rows(self) -> int:
        """Records set aside (a record breaking two rules counts once)."""
        return len(set(self.table["_line_number"].to_pylist()))


def can_quarantine(validation: BatchValidation) -> bool:
    """True when every failure names its rows (row rules); a missing column or the like cannot be set aside."""
    return all(failure.lines and len(failure.lines) == failure.unexpected_count for failure in validation.failures)


def rule_text(failure: Failure) -> str:
    return f"{failure.column} {failure.rule or failure.expectation}"


def set_aside(batch: RawBatch, validation: BatchValidation, run_id: str) -> tuple[RawBatch, Quarantined]:
    """Split the batch: the rows that pass every rule, and the quarantine records of the others."""
    failing = {line for failure in validation.failures for line in failure.lines}
    records = read_records(batch.file, failing)
    entity = batch.entity
    columns: dict[str, list] = {field.name: [] for field in QUARANTINE_FIELDS}
    lines: list[int] = []
    for failure in validation.failures:
        # A compound rule (a unique pair of columns) names its columns joined by ", ".
        failing_columns = failure.column.split(", ")
        for line in sorted(set(failure.lines)):
            record = records[line]
            columns["source"].append(entity.source)
            columns["entity"].append(entity.name)
            columns["record_id"].append(" | ".join(record.get(name, "").strip() for name in entity.id_columns))
            columns["rule"].append(rule_text(failure))
            columns["column_name"].append(failure.column)
            columns["value"].append(" | ".join(record.get(name, "") for name in failing_columns))
            columns["record"].append(json.dumps(record, ensure_ascii=False))
            columns["run_id"].append(run_id)
            lines.append(line)
    quarantined = pa.table(
        {
            **{field.name: pa.array(columns[field.name], field.type) for field in QUARANTINE_FIELDS},
            **lineage_arrays(batch.file, batch.content_hash, batch.loaded_at, lines),
        }
    )
    kept = batch.table.filter(pc.invert(pc.is_in(batch.table["_line_number"], pa.array(sorted(failing), pa.int64()))))
    counts: Counter[str] = Counter()
    for failure in validation.failures:
        counts[rule_text(failure)] += len(set(failure.lines))
    return replace(batch, table=kept), Quarantined(batch.file.relative_path, quarantined, dict(counts))
