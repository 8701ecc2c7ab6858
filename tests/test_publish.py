"""Publication: atomic, readable by DuckDB 1.x, never blocked by (or blocking) a reader."""

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from publishing.publish import publish_marts, repair_publications, rollback_publication

REPO = Path(__file__).resolve().parent.parent
OLDEST_READER = "1.3.2"  # the oldest DuckDB that reads STORAGE_VERSION v1.3.0


def build_database(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table marts.fct_things as "
            "select i as thing_id, cast(i * 1.5 as decimal(18,2)) as amount from range(?) t(i)",
            [rows],
        )
        con.execute("create or replace table staging.not_published as select 1 as x")
        con.execute("comment on table marts.fct_things is 'One row per thing.'")
        con.execute("comment on column marts.fct_things.amount is 'Its amount, in USD.'")
    return path


def test_publishes_only_marts_to_duckdb_and_parquet(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    publication = publish_marts(build_database(warehouse / "build.duckdb", 4), warehouse)
    assert publication.tables == {"fct_things": 4}
    with duckdb.connect(str(warehouse / "salesops.duckdb"), read_only=True) as reader:
        assert reader.execute("select sum(amount) from marts.fct_things").fetchone()[0] == pytest.approx(9.0)
        schemas = {row[0] for row in reader.execute("select schema_name from information_schema.schemata").fetchall()}
        assert "staging" not in schemas
    assert pq.read_table(warehouse / "parquet" / "fct_things" / "data.parquet").num_rows == 4
    assert not list(warehouse.glob(".incoming-*"))


def test_a_reader_keeps_the_previous_publication_and_does_not_block(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    publish_marts(build_database(warehouse / "build.duckdb", 3), warehouse)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(warehouse / "salesops.duckdb")!r}, read_only=True)
            print(con.execute('select count(*) from marts.fct_things').fetchone()[0], flush=True)
            sys.stdin.readline()
            print(con.execute('select count(*) from marts.fct_things').fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        publish_marts(build_database(warehouse / "build.duckdb", 5), warehouse)  # while the reader holds the file
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3"  # the reader still sees its publication
    finally:
        reader.communicate(timeout=30)
    with duckdb.connect(str(warehouse / "salesops.duckdb"), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.fct_things").fetchone()[0] == 5


def test_the_published_file_opens_in_duckdb_1x(tmp_path):
    """BI drivers bundle DuckDB 1.x: open the file with the oldest client the storage version allows."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    publish_marts(build_database(warehouse / "build.duckdb", 4), warehouse)
    client = REPO / ".venv" / f"compat-duckdb-{OLDEST_READER}"
    python = client / "bin" / "python"
    if not python.exists():
        uv = Path(sys.executable).with_name("uv")
        subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(client)], check=True)
        subprocess.run(
            [str(uv), "pip", "install", "-q", "--python", str(python), f"duckdb=={OLDEST_READER}"], check=True
        )
    completed = subprocess.run(
        [
            str(python),
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(duckdb.__version__, con.execute('select count(*), sum(amount) from marts.fct_things').fetchone())",
            str(warehouse / "salesops.duckdb"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == f"{OLDEST_READER} (4, Decimal('9.00'))"


def published_rows(warehouse: Path) -> tuple[int, int]:
    """Rows of fct_things in the published DuckDB file and in its Parquet."""
    with duckdb.connect(str(warehouse / "salesops.duckdb"), read_only=True) as reader:
        in_duckdb = reader.execute("select count(*) from marts.fct_things").fetchone()[0]
    return in_duckdb, pq.read_table(warehouse / "parquet" / "fct_things" / "data.parquet").num_rows


def test_rollback_restores_the_previous_publication_and_a_new_one_keeps_two(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    build = warehouse / "build.duckdb"
    publish_marts(build_database(build, 3), warehouse)
    publish_marts(build_database(build, 5), warehouse)
    assert published_rows(warehouse) == (5, 5)

    restored, replaced = rollback_publication(warehouse)
    assert published_rows(warehouse) == (3, 3) and restored < replaced
    with pytest.raises(RuntimeError, match="the only publication kept"):
        rollback_publication(warehouse)  # the one before it was the first

    publish_marts(build_database(build, 7), warehouse)
    assert published_rows(warehouse) == (7, 7)
    # Kept: the new publication and the one it replaced (3 rows), not the rolled-back one (5 rows).
    assert len(list((warehouse / "publications").iterdir())) == 2
    rollback_publication(warehouse)
    assert published_rows(warehouse) == (3, 3)


def test_leftovers_of_a_killed_publish_are_repaired(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    build = warehouse / "build.duckdb"
    publish_marts(build_database(build, 3), warehouse)
    current = (warehouse / "parquet").resolve().parent
    # Killed while writing a publication, and killed between its two renames (parquet/ already switched):
    unfinished = warehouse / "publications" / "29991231T000000-unfinish"
    (unfinished / "parquet").mkdir(parents=True)
    (unfinished / ".incoming-salesops.duckdb").write_bytes(b"half")
    switched = warehouse / "publications" / "29991231T000001-switched"
    (switched / "parquet" / "fct_things").mkdir(parents=True)
    (switched / "salesops.duckdb").write_bytes(b"complete but not current")
    (warehouse / "parquet").unlink()
    (warehouse / "parquet").symlink_to(Path("publications") / switched.name / "parquet")
    (warehouse / ".parquet-0123").symlink_to("nowhere")

    repair_publications(warehouse)

    assert not unfinished.exists() and not (warehouse / ".parquet-0123").is_symlink()
    assert (warehouse / "parquet").resolve().parent == current  # parquet/ follows the DuckDB file again
    assert published_rows(warehouse) == (3, 3)


def test_table_and_column_comments_reach_the_publication(tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    publish_marts(build_database(warehouse / "build.duckdb", 2), warehouse)
    with duckdb.connect(str(warehouse / "salesops.duckdb"), read_only=True) as reader:
        assert reader.execute("select comment from duckdb_tables() where table_name = 'fct_things'").fetchall() == [
            ("One row per thing.",)
        ]
        assert reader.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'fct_things' order by 1"
        ).fetchall() == [("amount", "Its amount, in USD."), ("thing_id", None)]
