"""Ingest one input entity: discover its deliveries, read the new ones, gate them, land them.

A delivery lands only when its batch passes the quality gate, so a rejected
file can be corrected in place and the run repeated; nothing already in the
lake changes until then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.comp_plans import COMP_PLAN_TABLES, empty_comp_plan_tables, read_comp_plans
from ingestion.contracts import Entity
from ingestion.lake import RawLake, discover, discover_files
from ingestion.quality import BatchValidation, validate_batch
from ingestion.readers import ExportFile, RawBatch, read_export


@dataclass
class EntityIngestion:
    entity: Entity
    unchanged: list[ExportFile] = field(default_factory=list)
    batches: list[RawBatch] = field(default_factory=list)
    validations: list[BatchValidation] = field(default_factory=list)
    landed: list[Path] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(validation.passed for validation in self.validations)

    @property
    def rows_landed(self) -> int:
        return sum(batch.rows for batch, _ in zip(self.batches, self.landed, strict=False))


def ingest_entity(
    entity: Entity, exports_dir: Path, lake_dir: Path, stage_names: tuple[str, ...], now: dt.datetime | None = None
) -> EntityIngestion:
    """Read and validate every new delivery of ``entity``; land them all only if all pass."""
    loaded_at = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    lake = RawLake(lake_dir)
    lake.ensure_contract_schema(entity)
    outcome = EntityIngestion(entity)
    for file in discover(exports_dir, entity):
        if lake.check_unchanged(entity, file, file.content_hash()):
            outcome.unchanged.append(file)
            continue
        batch = read_export(file, entity, loaded_at)
        outcome.batches.append(batch)
        outcome.validations.append(validate_batch(batch, stage_names))
    if outcome.passed:
        outcome.landed = [lake.commit(batch) for batch in outcome.batches]
    return outcome


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
