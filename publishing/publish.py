"""Publish the marts to readers: a separate DuckDB file and Parquet, swapped atomically.

The build database belongs to dbt; readers never open it. A publication copies
every table of schema ``marts`` into a new file written in a storage version
that DuckDB 1.x clients (most BI drivers) can open, and into Parquet, then
renames them into place. A reader that has the previous file open keeps
reading it (the rename does not touch its inode) and never blocks the run.

Each publication lives in ``publications/<id>/`` (``salesops.duckdb``, present
only once complete, and ``parquet/``); ``salesops.duckdb`` beside it is a hard
link to the current one and ``parquet`` a symbolic link. The previous
publication is kept: ``salesops rollback`` makes it current again. A run
killed at any point leaves the current publication as it was; the next
writer removes what it left (``repair_publications``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from salesops.faults import pause_point
from salesops.sql import identifier, string_literal

PUBLISHED_SCHEMA = "marts"
DATABASE = "salesops.duckdb"
PUBLICATIONS = "publications"
RUNS = "ops.runs"
"""The run log as of the publication (publishing/run_log.py)."""
STAMP = "ops.publication"
"""A one-row table in every published file: its publication id (its folder) and when it was published."""
READER_STORAGE_VERSION = "v1.3.0"
KEEP_PUBLICATIONS = 2


@dataclass(frozen=True)
class Publication:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]
    published_at: str


def as_of_date(database: Path) -> dt.date | None:
    """The as-of date of the marts in a database (the build or a publication): its latest delivery's date."""
    with duckdb.connect(str(database), read_only=True) as reader:
        (as_of,) = reader.execute(f"select max(as_of_date) from {PUBLISHED_SCHEMA}.rpt_deliveries").fetchone()
    return as_of


def publish_marts(
    build_database: Path, warehouse_dir: Path, runs: pa.Table | None = None, memory_limit: str | None = None
) -> Publication:
    """Copy schema ``marts`` of the build database to ``salesops.duckdb`` and ``parquet/``; ``runs`` (the run
    log, publishing/run_log.py) becomes ``ops.runs`` beside the publication's stamp."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    published_at = now.replace(microsecond=0)
    # Ids sort in publication order (rollback takes the one before the current), to the microsecond.
    publication_id = f"{now:%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:8]}"
    repair_publications(warehouse_dir)
    publication_dir = warehouse_dir / PUBLICATIONS / publication_id
    parquet_dir = publication_dir / "parquet"
    parquet_dir.mkdir(parents=True)
    incoming = publication_dir / f".incoming-{DATABASE}"
    tables: dict[str, int] = {}
    try:
        # Copying a big mart spills beyond memory_limit (DuckDB's default: 80 % of the machine's memory).
        config = {"temp_directory": str(warehouse_dir / "publish.tmp")}
        with duckdb.connect(config=config | ({"memory_limit": memory_limit} if memory_limit else {})) as build:
            build.execute(f"attach {string_literal(str(build_database))} as build (read_only)")
            build.execute("use build")
            names = [
                row[0]
                for row in build.execute(
                    "select table_name from information_schema.tables "
                    "where table_catalog = 'build' and table_schema = ? and table_type = 'BASE TABLE' "
                    "order by table_name",
                    [PUBLISHED_SCHEMA],
                ).fetchall()
            ]
            if not names:
                raise RuntimeError(
                    f"{build_database}: schema {PUBLISHED_SCHEMA!r} holds no tables; nothing to publish."
                )
            storage_version = string_literal(READER_STORAGE_VERSION)
            build.execute(f"attach {string_literal(str(incoming))} as publication (storage_version {storage_version})")
            build.execute(f"create schema publication.{PUBLISHED_SCHEMA}")
            for name in names:
                source = f"{PUBLISHED_SCHEMA}.{identifier(name)}"
                build.execute(f"create table publication.{source} as select * from {source}")
                _copy_comments(build, name)
                (parquet_dir / name).mkdir()
                build.execute(
                    f"copy {source} to {string_literal(str(parquet_dir / name / 'data.parquet'))} "
                    "(format parquet, compression zstd)"
                )
                tables[name] = build.execute(f"select count(*) from {source}").fetchone()[0]
            build.execute(f"create schema publication.{STAMP.split('.')[0]}")
            build.execute(
                f"create table publication.{STAMP} as select ? as publication_id, ? as published_at",
                [publication_id, published_at],
            )
            if runs is not None:
                build.register("run_log", runs)
                build.execute(f"create table publication.{RUNS} as select * from run_log")
                build.unregister("run_log")
            build.execute("use memory")
            build.execute("detach publication")
            build.execute("detach build")
    except BaseException:
        incoming.unlink(missing_ok=True)
        shutil.rmtree(publication_dir, ignore_errors=True)
        raise
    # Complete: from here on the publication is kept, whatever happens to this process.
    os.replace(incoming, publication_dir / DATABASE)
    previous = current_publication(warehouse_dir)
    _make_current(publication_dir, warehouse_dir)
    _prune_publications(warehouse_dir, keep={publication_dir, previous})
    return Publication(
        database=warehouse_dir / DATABASE,
        parquet_dir=warehouse_dir / "parquet",
        tables=tables,
        published_at=published_at.isoformat(),
    )


def _copy_comments(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """The table's and its columns' comments (dbt's persist_docs) onto its published copy: BI tools show them."""
    target = f"publication.{PUBLISHED_SCHEMA}.{identifier(table)}"
    (comment,) = connection.execute(
        "select comment from duckdb_tables() where database_name = 'build' and schema_name = ? and table_name = ?",
        [PUBLISHED_SCHEMA, table],
    ).fetchone()
    if comment:
        connection.execute(f"comment on table {target} is {string_literal(comment)}")
    for column, column_comment in connection.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = 'build' and schema_name = ? and table_name = ? and comment is not null",
        [PUBLISHED_SCHEMA, table],
    ).fetchall():
        connection.execute(f"comment on column {target}.{identifier(column)} is {string_literal(column_comment)}")


def _make_current(publication_dir: Path, warehouse_dir: Path) -> None:
    """Two atomic renames: parquet/ (a symbolic link to the publication) first, then the DuckDB file.

    Each rename is atomic; between the two, a reader may see the new Parquet
    beside the previous DuckDB file for a moment (and if the process dies
    there, the next writer points parquet/ back at the DuckDB file's publication).
    """
    link = warehouse_dir / "parquet"
    staged_link = warehouse_dir / f".parquet-{uuid.uuid4().hex}"
    os.symlink(Path(PUBLICATIONS) / publication_dir.name / "parquet", staged_link)
    os.replace(staged_link, link)
    pause_point("publish")
    staged_database = warehouse_dir / f".{DATABASE}-{uuid.uuid4().hex}"
    os.link(publication_dir / DATABASE, staged_database)  # a hard link: no copy
    os.replace(staged_database, warehouse_dir / DATABASE)


def _complete_publications(warehouse_dir: Path) -> list[Path]:
    """The publications whose DuckDB file was finished, oldest first."""
    folder = warehouse_dir / PUBLICATIONS
    if not folder.is_dir():
        return []
    return sorted((path for path in folder.iterdir() if (path / DATABASE).exists()), key=lambda path: path.name)


def current_publication(warehouse_dir: Path) -> Path | None:
    """The publication ``salesops.duckdb`` is, by the id stamped in it (a copied data dir keeps it), or None."""
    current = warehouse_dir / DATABASE
    if not current.exists():
        return None
    with duckdb.connect(str(current), read_only=True) as reader:
        try:
            (publication_id,) = reader.execute(f"select publication_id from {STAMP}").fetchone()
        except duckdb.CatalogException:  # published before the stamp: parquet/ points at it
            link = warehouse_dir / "parquet"
            return link.resolve().parent if link.is_symlink() and link.exists() else None
    publication = warehouse_dir / PUBLICATIONS / publication_id
    return publication if (publication / DATABASE).exists() else None


def repair_publications(warehouse_dir: Path) -> None:
    """Remove what a killed writer left and make parquet/ follow the DuckDB file again.

    Only the holder of the data dir's lock calls this, so nothing it removes is in use.
    """
    if not warehouse_dir.is_dir():
        return
    for leftover in warehouse_dir.glob(".*"):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink()
    link, database = warehouse_dir / "parquet", warehouse_dir / DATABASE
    if link.is_symlink() and link.exists() and database.exists() and not (link.resolve().parent / DATABASE).exists():
        # Published by a salesops that kept no DuckDB file in the publication: adopt the current one.
        os.link(database, link.resolve().parent / DATABASE)
    folder = warehouse_dir / PUBLICATIONS
    if folder.is_dir():
        for publication in folder.iterdir():
            if not (publication / DATABASE).exists():  # never finished
                shutil.rmtree(publication, ignore_errors=True)
    current = current_publication(warehouse_dir)
    if current is not None and (not link.exists() or link.resolve() != (current / "parquet").resolve()):
        staged_link = warehouse_dir / f".parquet-{uuid.uuid4().hex}"
        os.symlink(Path(PUBLICATIONS) / current.name / "parquet", staged_link)
        os.replace(staged_link, link)


def rollback_publication(warehouse_dir: Path) -> tuple[str, str]:
    """Make the publication before the current one current again; returns (restored, replaced) ids."""
    repair_publications(warehouse_dir)
    current = current_publication(warehouse_dir)
    if current is None:
        raise RuntimeError(f"{warehouse_dir / DATABASE}: nothing is published yet, so there is nothing to roll back.")
    earlier = [path for path in _complete_publications(warehouse_dir) if path.name < current.name]
    if not earlier:
        raise RuntimeError(
            f"{warehouse_dir / DATABASE} is the only publication kept (publication {current.name}); "
            "there is none before it to restore."
        )
    _make_current(earlier[-1], warehouse_dir)
    return earlier[-1].name, current.name


def _prune_publications(warehouse_dir: Path, keep: set[Path | None]) -> None:
    """Delete every publication but the new one and the one it replaced (kept for rollback)."""
    for publication in _complete_publications(warehouse_dir):
        if publication not in keep:
            shutil.rmtree(publication, ignore_errors=True)
