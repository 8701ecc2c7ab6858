"""Ingest one input entity: discover its deliveries, read the new ones, gate them, land them.

A delivery lands only when its batch passes the quality gate, so a rejected
file can be corrected in place and the run repeated; nothing already in the
lake changes until then. In an input the ``quarantine`` setting names, rows
that break a row rule are set aside instead (ingestion/quarantine.py) and the
rest of the delivery lands.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingestion.comp_plans import COMP_PLAN_TABLES, empty_comp_plan_tables, read_comp_plans
from ingestion.contracts import Entity
from ingestion.drift import SchemaDrift, compare, delivered_columns
from ingestion.lake import LoadedDelivery, RawLake, discover, discover_files
from ingestion.quality import BatchValidation, validate_batch
from ingestion.quarantine import Quarantined, can_quarantine, set_aside
from ingestion.readers import ExportError, ExportFile, RawBatch, read_export


@dataclass
class EntityIngestion:
    entity: Entity
    unchanged: list[ExportFile] = field(default_factory=list)
    batches: list[RawBatch] = field(default_factory=list)
    validations: list[BatchValidation] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    """What was set aside from each landed batch (quarantined inputs only)."""
    landed: list[Path] = field(default_factory=list)
    drift: list[SchemaDrift] = field(default_factory=list)
    """Columns each new batch brings or drops compared with the delivery before it (never blocks)."""

    @property
    def passed(self) -> bool:
        return all(validation.passed for validation in self.validations)

    @property
    def rows_landed(self) -> int:
        return sum(batch.rows for batch, _ in zip(self.batches, self.landed, strict=False))

    @property
    def records_quarantined(self) -> int:
        """Records set aside over every landed batch (a record breaking two rules counts once)."""
        return sum(quarantined.rows for quarantined in self.quarantined)

    @property
    def rows_quarantined(self) -> dict[str, int]:
        """Rule -> rows set aside for breaking it, over every new batch."""
        counts: dict[str, int] = {}
        for quarantined in self.quarantined:
            for rule, rows in quarantined.rows_by_rule.items():
                counts[rule] = counts.get(rule, 0) + rows
        return counts


def ingest_entity(
    entity: Entity,
    exports_dir: Path,
    lake_dir: Path,
    stage_names: tuple[str, ...],
    now: dt.datetime | None = None,
    quarantine: bool = False,
    run_id: str = "",
) -> EntityIngestion:
    """Read and validate every new delivery of ``entity``; land them all only if all pass.

    With ``quarantine``, a batch whose failures are all row rules passes once its failing rows are set aside.
    """
    loaded_at = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    lake = RawLake(lake_dir)
    lake.ensure_contract_schema(entity)
    outcome = EntityIngestion(entity)
    set_aside_by_batch: list[Quarantined | None] = []
    loaded = lake.table_deliveries(entity.source, entity.name)
    previous = (
        (
            loaded[-1].file,
            delivered_columns(entity, lake.delivered_schema(entity.source, entity.name, loaded[-1].delivery)),
        )
        if loaded
        else None
    )
    for file in discover(exports_dir, entity):
        content_hash = file.content_hash()
        if lake.check_unchanged(entity, file, content_hash):
            outcome.unchanged.append(file)
            continue
        check_delivery_order(entity, file, content_hash, loaded)
        batch = read_export(file, entity, loaded_at)
        if previous is not None:
            drift = compare(entity, *previous, file.relative_path, batch.table.schema)
            if drift:
                outcome.drift.append(drift)
        previous = (file.relative_path, delivered_columns(entity, batch.table.schema))
        # The GX process reads the batch from a file in the data dir (beside the lake), not from /tmp.
        validation = validate_batch(batch, stage_names, every_failing_line=quarantine, scratch_dir=lake_dir.parent)
        quarantined = None
        if quarantine and validation.failures and can_quarantine(validation):
            batch, quarantined = set_aside(batch, validation, run_id)
            validation = replace(validation, failures=[])
        outcome.batches.append(batch)
        outcome.validations.append(validation)
        set_aside_by_batch.append(quarantined)
    if outcome.passed:
        outcome.landed = [
            lake.commit(batch, quarantined.table if quarantined else None)
            for batch, quarantined in zip(outcome.batches, set_aside_by_batch, strict=True)
        ]
        outcome.quarantined = [quarantined for quarantined in set_aside_by_batch if quarantined]
    return outcome


def check_delivery_order(entity: Entity, file: ExportFile, content_hash: str, loaded: list[LoadedDelivery]) -> None:
    """A new delivery must sort after every loaded one, and must not be an older loaded export sent again.

    Either would apply old records over newer ones (the staging models keep each id's latest delivery).
    A copy of the latest loaded delivery is harmless, and usual for a table that rarely changes.
    """
    if not loaded:
        return
    latest = loaded[-1]
    if file.delivery < latest.delivery:
        raise ExportError(
            f"{file.relative_path}: delivery {file.delivery!r} of {entity.key} sorts before {latest.delivery!r}, "
            f"which is already loaded ({latest.file}); it would be applied out of order. If it holds newer data, "
            f"deliver it in a folder named after {latest.delivery!r} (e.g. today's date); if not, remove it."
        )
    for earlier in loaded[:-1]:
        if earlier.content_hash == content_hash and latest.content_hash != content_hash:
            raise ExportError(
                f"{file.relative_path}: the same file as {earlier.file} (delivery {earlier.delivery!r}, loaded on "
                f"{earlier.loaded_at}), byte for byte, though {latest.file} came after it: an old export sent "
                "again would undo the later changes. Remove it, or export the current data again."
            )


COMP_PLAN_FILES = ("comp_plans.yaml", "comp_plans.yml")
COMP_PLAN_LABEL = "planning.comp_plans"


@dataclass
class CompPlanIngestion:
    unchanged: list[ExportFile] = field(default_factory=list)
    landed: dict[str, dict[str, int]] = field(default_factory=dict)
    """Delivery -> table -> rows landed."""


def ingest_comp_plans(exports_dir: Path, lake_dir: Path, now: dt.datetime | None = None) -> CompPlanIngestion:
    """Land every new delivery of comp_plans.yaml as four tables; a plan file that breaks the rules raises."""
    loaded_at = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    lake = RawLake(lake_dir)
    for name, empty in empty_comp_plan_tables().items():
        lake.ensure_empty_table("planning", name, empty)
    primary = next(iter(COMP_PLAN_TABLES))
    outcome = CompPlanIngestion()
    files = discover_files(exports_dir, "planning", COMP_PLAN_FILES, COMP_PLAN_LABEL)
    for file in files:
        if lake.check_table_unchanged("planning", primary, COMP_PLAN_LABEL, file, file.content_hash()):
            outcome.unchanged.append(file)
    # Read (and so validate) every new file before landing any.
    new = [(file, *read_comp_plans(file, loaded_at)) for file in files if file not in outcome.unchanged]
    for file, content_hash, tables in new:
        lake.commit_tables("planning", tables, file, content_hash, loaded_at)
        outcome.landed[file.delivery] = {name: table.num_rows for name, table in tables.items()}
    return outcome
