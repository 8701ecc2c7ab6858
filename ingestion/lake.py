"""The raw layer: an append-only, engine-neutral Parquet lake.

Each delivered file lands once, at
``<lake>/raw/<source>/<entity>/delivery=<id>/<file>.parquet`` with a manifest
beside it (content hash, rows, loaded at). Landing is atomic (a temporary folder
renamed into place), so a failed run leaves nothing half-written. Every entity
also holds ``_contract/part.parquet``, a zero-row file with the contract's
schema, so that an entity nobody has delivered yet reads as an empty table.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from ingestion.contracts import Entity
from ingestion.readers import IMPLICIT_DELIVERY, ExportError, ExportFile, RawBatch, empty_contract_table

MANIFEST = "_manifest.json"


def discover(exports_dir: Path, entity: Entity) -> list[ExportFile]:
    """The files of one entity in the drop folder, in delivery order."""
    source_dir = exports_dir / entity.source
    if not source_dir.is_dir():
        return []
    names = {name.lower() for name in entity.files}
    found: list[ExportFile] = []
    for path in sorted(source_dir.iterdir()):
        if path.is_file() and path.name.lower() in names:
            found.append(_export_file(exports_dir, entity, IMPLICIT_DELIVERY, path))
        elif path.is_dir() and not path.name.startswith("."):
            matches = sorted(child for child in path.iterdir() if child.is_file() and child.name.lower() in names)
            if len(matches) > 1:
                listed = ", ".join(child.name for child in matches)
                raise ExportError(
                    f"{entity.source}/{path.name}: {listed} are the same input ({entity.key}) twice in one delivery. "
                    "Keep one of them."
                )
            found.extend(_export_file(exports_dir, entity, path.name, child) for child in matches)
    return sorted(found, key=lambda file: file.delivery)


def _export_file(exports_dir: Path, entity: Entity, delivery: str, path: Path) -> ExportFile:
    return ExportFile(entity.source, delivery, path, path.relative_to(exports_dir).as_posix())


@dataclass(frozen=True)
class LoadedDelivery:
    delivery: str
    file: str
    content_hash: str
    rows: int
    loaded_at: str


class RawLake:
    def __init__(self, lake_dir: Path):
        self.root = lake_dir / "raw"

    def entity_dir(self, entity: Entity) -> Path:
        return self.root / entity.source / entity.name

    def ensure_contract_schema(self, entity: Entity) -> None:
        target = self.entity_dir(entity) / "_contract" / "part.parquet"
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".part-{uuid.uuid4().hex}.parquet")
        pq.write_table(empty_contract_table(entity), temporary)
        os.replace(temporary, target)

    def loaded(self, entity: Entity, delivery: str) -> LoadedDelivery | None:
        manifest = self.entity_dir(entity) / f"delivery={delivery}" / MANIFEST
        if not manifest.exists():
            return None
        return LoadedDelivery(**json.loads(manifest.read_text(encoding="utf-8")))

    def loaded_deliveries(self, entity: Entity) -> list[LoadedDelivery]:
        folder = self.entity_dir(entity)
        if not folder.is_dir():
            return []
        return [
            LoadedDelivery(**json.loads((path / MANIFEST).read_text(encoding="utf-8")))
            for path in sorted(folder.glob("delivery=*"))
            if (path / MANIFEST).exists()
        ]

    def check_unchanged(self, entity: Entity, file: ExportFile, content_hash: str) -> bool:
        """True when this delivery is already loaded with the same content; an error when it changed."""
        previous = self.loaded(entity, file.delivery)
        if previous is None:
            return False
        if previous.content_hash != content_hash:
            raise ExportError(
                f"{file.relative_path}: delivery {file.delivery!r} of {entity.key} was loaded on "
                f"{previous.loaded_at} from {previous.file} and has changed since (content hash "
                f"{previous.content_hash[:12]}… is now {content_hash[:12]}…). A loaded delivery is never "
                "overwritten: put corrected data in a new delivery folder that sorts after it, or restore the "
                "original file."
            )
        return True

    def commit(self, batch: RawBatch) -> Path:
        """Land a batch atomically; returns its folder."""
        final = self.entity_dir(batch.entity) / f"delivery={batch.file.delivery}"
        final.parent.mkdir(parents=True, exist_ok=True)
        # Written outside the entity folder, which dbt globs, then renamed in.
        temporary = self.root / ".incoming" / uuid.uuid4().hex
        temporary.mkdir(parents=True)
        try:
            pq.write_table(batch.table, temporary / f"{batch.file.path.stem}.parquet", compression="zstd")
            manifest = LoadedDelivery(
                delivery=batch.file.delivery,
                file=batch.file.relative_path,
                content_hash=batch.content_hash,
                rows=batch.rows,
                loaded_at=batch.loaded_at.isoformat(timespec="seconds"),
            )
            (temporary / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2), encoding="utf-8")
            os.rename(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return final
