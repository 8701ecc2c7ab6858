"""The dbt project as Dagster assets (dagster-dbt), built lazily.

Nothing here parses the dbt project at import: the project, its manifest and the
``@dbt_assets`` definition are made inside cached factories, on first use.
"""

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import DataDirLock, SettingsResource
from salesops.faults import pause_point
from salesops.settings import DBT_PROJECT_DIR, Settings, load_settings

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


class SalesopsTranslator(DagsterDbtTranslator):
    """dbt sources map onto the ingestion assets, so lineage runs from export file to mart."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema")


DBT_PAUSE_AFTER_EVENTS = 10
"""The fault-injection point ``dbt`` is reached once dbt has reported this many results (salesops/faults.py)."""


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt's profile and sources read their paths from."""
    return {"SALESOPS_DATA_DIR": str(settings.data_dir)}


@contextlib.contextmanager
def environment_for_dbt(settings: Settings) -> Iterator[None]:
    """``dbt_environment`` while dbt runs: dagster-dbt starts dbt with this process's environment."""
    variables = dbt_environment(settings)
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_build_args(settings: Settings) -> list[str]:
    # Unit tests check the SQL on fixtures, not the data: `make test` runs them, a pipeline run need not.
    # As many dbt threads as the machine has cores (a flag, not the profile: the profile's values are part
    # of what dbt's partial parsing compares).
    return [
        "build",
        "--vars",
        json.dumps(settings.dbt_vars(), sort_keys=True),
        "--exclude-resource-type",
        "unit_test",
        "--threads",
        str(os.cpu_count() or 1),
    ]


def dbt_parse_args(settings: Settings) -> list[str]:
    return ["parse", "--vars", json.dumps(settings.dbt_vars(), sort_keys=True)]


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest(settings: Settings) -> Path:
    """Write ``target/manifest.json`` with ``dbt parse`` (make setup, tests, and first use)."""
    project = dbt_project()
    env = {**os.environ, **dbt_environment(settings)}
    completed = subprocess.run(
        [
            str(DBT_EXECUTABLE),
            *dbt_parse_args(settings),
            "--profiles-dir",
            str(project.profiles_dir),
            "--project-dir",
            str(project.project_dir),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
    return project.manifest_path


@cache
def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE)
    )


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than a file of the dbt project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests"):
        sources += [path for path in (project.project_dir / folder).rglob("*") if path.suffix in (".sql", ".yml")]
    return any(path.stat().st_mtime > built for path in sources)


@cache
def dbt_models() -> dg.AssetsDefinition:
    project = dbt_project()
    if manifest_is_stale(project):
        prepare_manifest(load_settings())

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=SalesopsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    )
    def salesops_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource, data_dir_lock: DataDirLock
    ):
        settings = settings.value
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        with environment_for_dbt(settings):
            # A target folder per data dir keeps dbt's partial-parse state between runs.
            events = dbt.cli(
                dbt_build_args(settings), context=context, target_path=settings.data_dir / "dbt-target"
            ).stream()
            for count, event in enumerate(events, start=1):
                yield event
                if count == DBT_PAUSE_AFTER_EVENTS:
                    pause_point("dbt")

    return salesops_dbt_models


def mart_keys() -> list[dg.AssetKey]:
    return sorted((key for key in dbt_models().keys if key.path[0] == "marts"), key=lambda key: key.to_user_string())
