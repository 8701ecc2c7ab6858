"""The dbt project as Dagster assets (dagster-dbt), built lazily.

Nothing here parses the dbt project at import: the project, its manifest and the
``@dbt_assets`` definition are made inside cached factories, on first use.
"""

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from ingestion.quality import stop_validation_worker
from orchestration import warm_dbt
from orchestration.dbt_invocation import (
    DBT_EXECUTABLE,
    dbt_build_args,
    dbt_environment,
    dbt_parse_args,
    dbt_workspace,
    environment_for_dbt,
    parse_state_seed,
    seed_parse_state,
)
from orchestration.resources import DataDirLock, SettingsResource
from salesops.build_state import incremental_basis, needs_full_rebuild, record_incremental_basis
from salesops.faults import pause_point
from salesops.files import write_atomically
from salesops.settings import DBT_PROJECT_DIR, Settings, load_settings


class SalesopsTranslator(DagsterDbtTranslator):
    """dbt sources map onto the ingestion assets, so lineage runs from export file to mart."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema")


class WorkspaceDbtCli(DbtCliResource):
    """dbt run as a subprocess, without the ~3 s dagster-dbt spends before starting it.

    dagster-dbt asks the executable its version (``dbt --version``, a second dbt start-up) and opens a
    dbt adapter on the build database in this process (importing dbt and loading the profile), which it
    uses only to fetch row counts and column metadata for Dagster. salesops fetches neither, and the
    executable is the dbt-core installed beside this package, so its version is read from there.
    """

    @property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


DBT_PAUSE_AFTER_EVENTS = 10
"""The fault-injection point ``dbt`` is reached once dbt has reported this many results (salesops/faults.py)."""


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest(settings: Settings) -> Path:
    """Write ``target/manifest.json`` and the parse state with ``dbt parse`` (make setup, tests, and first use).

    It parses in a scratch workspace, the way a run does, so its parse state serves any data dir.
    """
    project = dbt_project()
    with tempfile.TemporaryDirectory(prefix="salesops-dbt-parse-") as scratch:
        workspace = dbt_workspace(Path(scratch))
        completed = subprocess.run(
            [
                str(DBT_EXECUTABLE),
                *dbt_parse_args(settings),
                "--profiles-dir",
                str(project.profiles_dir),
                "--project-dir",
                str(workspace),
                "--target-path",
                str(project.project_dir / "target"),
                "--quiet",
            ],
            env={**os.environ, **dbt_environment(settings)},
            cwd=workspace,
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
    write_atomically(parse_state_seed(), (project.manifest_path.parent / warm_dbt.PARSE_STATE).read_bytes())
    return project.manifest_path


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest or the parse state is missing, or older than a file of the dbt project."""
    if not project.manifest_path.exists() or not parse_state_seed().exists():
        return True
    return warm_dbt.project_changed_since(project.project_dir, project.manifest_path.stat().st_mtime)


@cache
def dbt_models() -> dg.AssetsDefinition:
    project = dbt_project()
    if manifest_is_stale(project):
        prepare_manifest(load_settings())

    @dbt_assets(
        manifest=project.manifest_path,
        # No project= here: dagster-dbt would run dbt in the project's own folder, not the data dir's workspace.
        dagster_dbt_translator=SalesopsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    )
    def salesops_dbt_models(context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock):
        settings = settings.value
        stop_validation_worker()  # ingestion is over: GX's memory goes back before dbt's peak
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        # A target folder per data dir keeps dbt's parse state between runs.
        target_path = settings.dbt_target_dir
        seed_parse_state(target_path)
        # Taken once, before dbt reads the project: what is recorded is what this build was made with.
        basis = incremental_basis(settings)
        with environment_for_dbt(settings), warm_dbt.serving(target_path / warm_dbt.LOG) as warm_build:
            dbt = WorkspaceDbtCli(
                project_dir=str(dbt_workspace(settings.data_dir)),
                profiles_dir=str(DBT_PROJECT_DIR),
                dbt_executable=str(warm_build.executable or DBT_EXECUTABLE),
            )
            build_args = dbt_build_args(settings, needs_full_rebuild(settings, basis))
            events = dbt.cli(build_args, context=context, target_path=target_path).stream()
            for count, event in enumerate(events, start=1):
                yield event
                if count == DBT_PAUSE_AFTER_EVENTS:
                    pause_point("dbt")
        if warm_build.outcome is not None:
            context.log.info(warm_dbt.describe(warm_build.outcome))
        record_incremental_basis(settings, basis)  # reached only when every node passed: stream() raises otherwise

    return salesops_dbt_models


def mart_keys() -> list[dg.AssetKey]:
    return sorted((key for key in dbt_models().keys if key.path[0] == "marts"), key=lambda key: key.to_user_string())
