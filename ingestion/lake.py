"""The raw layer: an append-only, engine-neutral Parquet lake.

Each delivered file lands once, at
``<lake>/raw/<source>/<entity>/delivery=<id>/<file>.parquet`` with a manifest
beside it (content hash, rows, loaded at). Landing is atomic (a temporary folder
renamed into place), so a failed run leaves nothing half-written. Every entity
also holds ``_contract/part.parquet``, a zero-row file with the contract's
schema, so that an entity nobody has delivered yet reads as an empty table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.contracts import Entity
from ingestion.quarantine import empty_quarantine_table
from ingestion.readers import IMPLICIT_DELIVERY, ExportError, ExportFile, RawBatch, empty_contract_table
from salesops.faults import pause_point

MANIFEST = "_manifest.json"


def discover(exports_dir: Path, entity: Entity) -> list[ExportFile]:
    """The files of one entity in the drop folder, in delivery order."""
    return discover_files(exports_dir, entity.source, entity.files, entity.key)


def discover_files(exports_dir: Path, source: str, filenames: tuple[str, ...], label: str) -> list[ExportFile]:
    """The files named ``filenames`` (any case) of one source, in delivery order."""
    source_dir = exports_dir / source
    if not source_dir.is_dir():
        return []
    names = {name.lower() for name in filenames}
    found: list[ExportFile] = []
    for path in sorted(source_dir.iterdir()):
        if path.is_file() and path.name.lower() in names:
            found.append(_export_file(exports_dir, source, IMPLICIT_DELIVERY, path))
        elif path.is_dir() and not path.name.startswith("."):
            matches = sorted(child for child in path.iterdir() if child.is_file() and child.name.lower() in names)
            if len(matches) > 1:
                listed = ", ".join(child.name for child in matches)
                raise ExportError(
                    f"{source}/{path.name}: {listed} are the same input ({label}) twice in one delivery. "
                    "Keep one of them."
                )
            found.extend(_export_file(exports_dir, source, path.name, child) for child in matches)
    return sorted(found, key=lambda file: file.delivery)


def _export_file(exports_dir: Path, source: str, delivery: str, path: Path) -> ExportFile:
    return ExportFile(source, delivery, path, path.relative_to(exports_dir).as_posix())


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
        self.quarantine_root = lake_dir / "quarantine"
        """Rows set aside, laid out like raw/: ``<source>/<entity>/delivery=<id>/<file>.parquet``."""

    def table_dir(self, source: str, name: str) -> Path:
        return self.root / source / name

    def table_glob(self, source: str, name: str) -> str:
        """Every Parquet file of a table (its deliveries and its zero-row contract file), as a DuckDB glob."""
        return (self.table_dir(source, name) / "*" / "*.parquet").as_posix()

    def quarantine_dir(self, source: str, name: str) -> Path:
        return self.quarantine_root / source / name

    def ensure_contract_schema(self, entity: Entity) -> None:
        self.ensure_empty_table(entity.source, entity.name, empty_contract_table(entity))
        self._ensure_empty_file(self.quarantine_dir(entity.source, entity.name), empty_quarantine_table())

    def ensure_empty_table(self, source: str, name: str, empty: pa.Table) -> None:
        self._ensure_empty_file(self.table_dir(source, name), empty)

    @staticmethod
    def _ensure_empty_file(table_dir: Path, empty: pa.Table) -> None:
        target = table_dir / "_contract" / "part.parquet"
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".part-{uuid.uuid4().hex}.parquet")
        pq.write_table(empty, temporary)
        os.replace(temporary, target)

    @property
    def incoming_root(self) -> Path:
        """Where landings are written before being renamed into place: beside raw/, so no glob over it sees them."""
        return self.root.parent / ".incoming"

    def remove_abandoned_landings(self) -> None:
        """Delete landings a killed run left half-written (only the holder of the data dir's lock calls this)."""
        shutil.rmtree(self.incoming_root, ignore_errors=True)

    def delivery_dir(self, source: str, name: str, delivery: str) -> Path:
        return self.table_dir(source, name) / f"delivery={delivery}"

    def loaded_table(self, source: str, name: str, delivery: str) -> LoadedDelivery | None:
        manifest = self.delivery_dir(source, name, delivery) / MANIFEST
        if not manifest.exists():
            return None
        return LoadedDelivery(**json.loads(manifest.read_text(encoding="utf-8")))

    def _delivery_dirs(self, source: str, name: str) -> list[Path]:
        """The loaded deliveries' folders of a table, in delivery order (a folder without manifest is not loaded)."""
        folder = self.table_dir(source, name)
        if not folder.is_dir():
            return []
        return [path for path in sorted(folder.glob("delivery=*")) if (path / MANIFEST).exists()]

    def table_deliveries(self, source: str, name: str) -> list[LoadedDelivery]:
        return [
            LoadedDelivery(**json.loads((path / MANIFEST).read_text(encoding="utf-8")))
            for path in self._delivery_dirs(source, name)
        ]

    def source_deliveries(self, source: str) -> list[LoadedDelivery]:
        """Every loaded delivery of every table of one source."""
        source_dir = self.root / source
        if not source_dir.is_dir():
            return []
        return [
            delivery
            for table in sorted(path for path in source_dir.iterdir() if path.is_dir())
            for delivery in self.table_deliveries(source, table.name)
        ]

    def delivered_schema(self, source: str, name: str, delivery: str) -> pa.Schema:
        """The schema of a loaded delivery's table (its columns as delivered, then the lineage)."""
        return pq.read_schema(next(self.delivery_dir(source, name, delivery).glob("*.parquet")))

    def delivered_files(self, source: str, name: str) -> list[Path]:
        """The Parquet files of a table's loaded deliveries (not its zero-row contract file)."""
        return [path for folder in self._delivery_dirs(source, name) for path in sorted(folder.glob("*.parquet"))]

    def check_unchanged(self, entity: Entity, file: ExportFile, content_hash: str) -> bool:
        """True when this delivery is already loaded with the same content; an error when it changed."""
        return self.check_table_unchanged(entity.source, entity.name, entity.key, file, content_hash)

    def check_table_unchanged(self, source: str, name: str, label: str, file: ExportFile, content_hash: str) -> bool:
        previous = self.loaded_table(source, name, file.delivery)
        if previous is None:
            return False
        if previous.content_hash != content_hash:
            raise ExportError(
                f"{file.relative_path}: delivery {file.delivery!r} of {label} was loaded on "
                f"{previous.loaded_at} from {previous.file} and has changed since (content hash "
                f"{previous.content_hash[:12]}… is now {content_hash[:12]}…). A loaded delivery is never "
                "overwritten: put corrected data in a new delivery folder that sorts after it, or restore the "
                "original file."
            )
        return True

    def commit(self, batch: RawBatch, quarantined: pa.Table | None = None) -> Path:
        """Land a batch atomically, with the rows set aside from it (if any) in the quarantine; returns its folder."""
        entity, delivery = batch.entity, batch.file.delivery
        folders = {self.delivery_dir(entity.source, entity.name, delivery): batch.table}
        if quarantined is not None and quarantined.num_rows:
            folders[self.quarantine_dir(entity.source, entity.name) / f"delivery={delivery}"] = quarantined
        self._land(folders, batch.file, batch.content_hash, batch.loaded_at)
        return self.delivery_dir(entity.source, entity.name, delivery)

    def commit_tables(
        self, source: str, tables: dict[str, pa.Table], file: ExportFile, content_hash: str, loaded_at: dt.datetime
    ) -> dict[str, Path]:
        """Land the tables read from one delivered file (several for a YAML document); returns their folders."""
        folders = {self.delivery_dir(source, name, file.delivery): table for name, table in tables.items()}
        self._land(folders, file, content_hash, loaded_at)
        return dict(zip(tables, folders, strict=True))

    def _land(self, folders: dict[Path, pa.Table], file: ExportFile, content_hash: str, loaded_at: dt.datetime) -> None:
        """Write each table to its delivery folder, atomically.

        Every table is written to a temporary folder outside the globs dbt reads,
        then renamed into place; the first table, whose manifest marks the file
        as loaded, goes last, so a crash in between is redone on the next run.
        """
        incoming = self.incoming_root / uuid.uuid4().hex
        staged: dict[Path, Path] = {}
        try:
            for position, (final, table) in enumerate(folders.items()):
                folder = incoming / str(position)
                staged[final] = folder
                folder.mkdir(parents=True)
                pq.write_table(table, folder / f"{file.path.stem}.parquet", compression="zstd")
                manifest = LoadedDelivery(
                    file.delivery,
                    file.relative_path,
                    content_hash,
                    table.num_rows,
                    loaded_at.isoformat(timespec="seconds"),
                )
                (folder / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2), encoding="utf-8")
            pause_point("landing")
            finals = list(staged)
            for final in finals[1:] + finals[:1]:
                final.parent.mkdir(parents=True, exist_ok=True)
                if final.exists():  # left by a run that stopped before its first table landed
                    shutil.rmtree(final)
                os.rename(staged[final], final)
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
