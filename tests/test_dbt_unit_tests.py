"""dbt unit tests (`unit_tests:` in the model YAML), run against an empty build.

dbt needs the models' parents to exist to type the fixtures, so the project is
first built `--empty` on an empty lake; then only the unit tests run.
"""

import os
import subprocess
from pathlib import Path

from ingestion.comp_plans import empty_comp_plan_tables
from ingestion.contracts import ENTITIES
from ingestion.lake import RawLake
from orchestration.defs.transform import DBT_EXECUTABLE
from salesops.settings import DBT_PROJECT_DIR


def dbt(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(DBT_EXECUTABLE),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(data_dir / "dbt-target"),
            "--log-path",
            str(data_dir / "dbt-logs"),
        ],
        env={**os.environ, "SALESOPS_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_dbt_unit_test_passes(tmp_path):
    lake = RawLake(tmp_path / "lake")
    for entity in ENTITIES:
        lake.ensure_contract_schema(entity)
    for name, empty in empty_comp_plan_tables().items():
        lake.ensure_empty_table("planning", name, empty)
    (tmp_path / "warehouse").mkdir()

    built = dbt(["run", "--empty"], tmp_path)
    assert built.returncode == 0, built.stdout[-4000:]
    tested = dbt(["test", "--select", "test_type:unit"], tmp_path)
    assert tested.returncode == 0, tested.stdout[-6000:]
    assert "ERROR=0" in tested.stdout and "PASS=0" not in tested.stdout
