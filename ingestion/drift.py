"""Schema drift: the columns a delivery brings or drops compared with the one before it.

A required column that goes missing already blocks (readers.py, with a hint when it
looks renamed); this reports the rest, which never blocks: columns the contract
does not know (kept in the lake as delivered) appearing or disappearing between
deliveries of one input.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ingestion.contracts import Entity
from ingestion.readers import LINEAGE_FIELDS


@dataclass(frozen=True)
class SchemaDrift:
    file: str
    previous_file: str
    new_columns: tuple[str, ...]
    missing_columns: tuple[str, ...]

    def describe(self) -> str:
        parts = []
        if self.new_columns:
            parts.append(f"new column(s) {', '.join(map(repr, self.new_columns))} (kept in the lake)")
        if self.missing_columns:
            parts.append(f"no longer has {', '.join(map(repr, self.missing_columns))}")
        if len(self.new_columns) == 1 and len(self.missing_columns) == 1:
            parts.append(f"renamed {self.missing_columns[0]!r} to {self.new_columns[0]!r}?")
        return f"{self.file}: " + "; ".join(parts) + f" (compared with {self.previous_file})"


def delivered_columns(entity: Entity, schema: pa.Schema) -> tuple[str, ...]:
    """The columns of a landed table as the file had them: no lineage, no currency split off an amount."""
    derived = {f"{column.name} (currency)" for column in entity.columns if column.type == "bamboo_money"}
    lineage = {field.name for field in LINEAGE_FIELDS}
    return tuple(name for name in schema.names if name not in lineage and name not in derived)


def compare(entity: Entity, previous_file: str, previous: tuple[str, ...], file: str, schema: pa.Schema):
    """The drift of a new delivery's columns from the previous delivery's, or None when they are the same set."""
    current = delivered_columns(entity, schema)
    new = tuple(name for name in current if name not in previous)
    missing = tuple(name for name in previous if name not in current)
    if not new and not missing:
        return None
    return SchemaDrift(file, previous_file, new, missing)
