"""Publish the marts to readers: a separate DuckDB file and Parquet, swapped atomically.

The build database belongs to dbt; readers never open it. A publication copies
every table of schema ``marts`` into a new file written in a storage version
that DuckDB 1.x clients (most BI drivers) can open, and into Parquet, then
renames them into place. A reader that has the previous file open keeps
reading it (the rename does not touch its inode) and never blocks the run.
The previous publication is kept beside it for rollback.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMA = "marts"
READER_STORAGE_VERSION = "v1.3.0"
KEEP_PUBLICATIONS = 2


@dataclass(frozen=True)
class Publication:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]
    published_at: str


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def publish_marts(build_database: Path, warehouse_dir: Path) -> Publication:
    """Copy schema ``marts`` of the build database to ``salesops.duckdb`` and ``parquet/``."""
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    publication_id = f"{published_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    publication_dir = warehouse_dir / "publications" / publication_id
    parquet_dir = publication_dir / "parquet"
    parquet_dir.mkdir(parents=True)
    incoming = warehouse_dir / f".incoming-{publication_id}.duckdb"
    tables: dict[str, int] = {}
    try:
        with duckdb.connect() as build:
            build.execute(f"attach {_sql_string(str(build_database))} as build (read_only)")
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
            storage_version = _sql_string(READER_STORAGE_VERSION)
            build.execute(f"attach {_sql_string(str(incoming))} as publication (storage_version {storage_version})")
            build.execute(f"create schema publication.{PUBLISHED_SCHEMA}")
            for name in names:
                source = f"{PUBLISHED_SCHEMA}.{_quote(name)}"
                build.execute(f"create table publication.{PUBLISHED_SCHEMA}.{_quote(name)} as select * from {source}")
                (parquet_dir / name).mkdir()
                build.execute(
                    f"copy {source} to {_sql_string(str(parquet_dir / name / 'data.parquet'))} "
                    "(format parquet, compression zstd)"
                )
                tables[name] = build.execute(f"select count(*) from {source}").fetchone()[0]
            build.execute("use memory")
            build.execute("detach publication")
            build.execute("detach build")
    except BaseException:
        incoming.unlink(missing_ok=True)
        shutil.rmtree(publication_dir, ignore_errors=True)
        raise
    # Past this point nothing is deleted: the files being swapped in are the publication.
    _swap_in(incoming, publication_dir, warehouse_dir)
    _prune_publications(warehouse_dir)
    return Publication(
        database=warehouse_dir / "salesops.duckdb",
        parquet_dir=warehouse_dir / "parquet",
        tables=tables,
        published_at=published_at.isoformat(),
    )


def _swap_in(incoming: Path, publication_dir: Path, warehouse_dir: Path) -> None:
    """Two atomic renames: parquet/ (a symbolic link to the publication) first, then the DuckDB file.

    Each rename is atomic; between the two, a reader may see the new Parquet
    beside the previous DuckDB file for a moment.
    """
    link = warehouse_dir / "parquet"
    staged_link = warehouse_dir / f".parquet-{uuid.uuid4().hex}"
    os.symlink(Path("publications") / publication_dir.name / "parquet", staged_link)
    os.replace(staged_link, link)
    current = warehouse_dir / "salesops.duckdb"
    if current.exists():
        # Keep the previous publication for rollback (a hard link: no copy, no window).
        previous_link = warehouse_dir / f".previous-{uuid.uuid4().hex}.duckdb"
        os.link(current, previous_link)
        os.replace(previous_link, warehouse_dir / "salesops.previous.duckdb")
    os.replace(incoming, current)


def _prune_publications(warehouse_dir: Path) -> None:
    current = (warehouse_dir / "parquet").resolve().parent.name
    publications = sorted((warehouse_dir / "publications").iterdir(), key=lambda path: path.name)
    for stale in publications[:-KEEP_PUBLICATIONS]:
        if stale.name != current:
            shutil.rmtree(stale, ignore_errors=True)
