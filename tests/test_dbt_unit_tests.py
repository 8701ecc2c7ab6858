"""dbt unit tests (`unit_tests:` in the model YAML): one pytest item each, so a failure names the rule.

dbt needs the models' parents to exist to type the fixtures, so the project is
first built `--empty` on an empty lake; then every unit test runs in one dbt
invocation (one per test would cost dbt's start-up thirty times), and each
pytest item reads its own result from dbt's run_results.json.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from ingestion.comp_plans import empty_comp_plan_tables
from ingestion.contracts import ENTITIES
from ingestion.lake import RawLake
from orchestration.dbt_invocation import DBT_EXECUTABLE
from salesops.settings import DBT_PROJECT_DIR
from tests.conftest import dbt_manifest


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


UNIT_TESTS = sorted(
    (test["unique_id"], f"{test['model']}::{test['name']}") for test in dbt_manifest()["unit_tests"].values()
)


@pytest.fixture(scope="module")
def unit_test_results(tmp_path_factory) -> dict[str, dict]:
    """Every unit test's result (status, message) by unique id, from one dbt run on an empty build."""
    data_dir = tmp_path_factory.mktemp("dbt-unit-tests")
    lake = RawLake(data_dir / "lake")
    for entity in ENTITIES:
        lake.ensure_contract_schema(entity)
    for name, empty in empty_comp_plan_tables().items():
        lake.ensure_empty_table("planning", name, empty)
    (data_dir / "warehouse").mkdir()
    built = dbt(["run", "--empty"], data_dir)
    assert built.returncode == 0, built.stdout[-4000:]
    tested = dbt(["test", "--select", "test_type:unit"], data_dir)
    results = json.loads((data_dir / "dbt-target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    by_id = {result["unique_id"]: result for result in results}
    assert by_id, tested.stdout[-4000:]
    return by_id


def test_the_project_has_unit_tests_for_every_area():
    models = {name.split("::")[0] for _, name in UNIT_TESTS}
    assert len(UNIT_TESTS) >= 30
    assert {"int_quotas_ramped", "int_commission_pieces_banded", "int_kpis_pipeline_computed"} <= models


@pytest.mark.parametrize("unique_id", [unique_id for unique_id, _ in UNIT_TESTS], ids=[name for _, name in UNIT_TESTS])
def test_dbt_unit_test(unique_id, unit_test_results):
    result = unit_test_results.get(unique_id)
    assert result is not None, f"{unique_id} did not run"
    assert result["status"] == "pass", result["message"]
