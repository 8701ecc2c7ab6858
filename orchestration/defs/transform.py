"""The dbt project as Dagster assets (dagster-dbt), built lazily.

Nothing here parses the dbt project at import: the project, its manifest and the
``@dbt_assets`` definition are made inside cached factories, on first use.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from ingestion.quality import stop_validation_worker
from orchestration.resources import DataDirLock, SettingsResource
from salesops.build_state import incremental_basis, needs_full_rebuild, record_incremental_basis
from salesops.faults import pause_point
from salesops.files import write_atomically
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


DATA_DIR_SEEN_BY_DBT = ".."
"""SALESOPS_DATA_DIR as dbt renders it: the data dir relative to the workspace dbt runs in (``dbt_workspace``)."""
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")
PARSE_STATE = "partial_parse.msgpack"
PARSE_STATE_SEED = "data_dir_parse_state.msgpack"
"""The parse state ``prepare_manifest`` made in a workspace, kept under its own name in the project's target
folder: a ``partial_parse.msgpack`` there may come from a dbt run in the project folder itself."""


def dbt_workspace(data_dir: Path) -> Path:
    """The folder dbt runs in for a data dir: ``<data dir>/dbt``, with the project's files linked in.

    dbt parses the whole project again (about 9 s) whenever its rendered profile
    or the environment variables its project reads differ from the last parse's.
    Run from a folder inside the data dir, every path dbt renders is relative
    (``../warehouse/build.duckdb``) and so the same for every data dir: the
    parse state ``prepare_manifest`` leaves in the project's target folder
    seeds the first run of any data dir (``seed_parse_state``).
    """
    workspace = data_dir / "dbt"
    workspace.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ENTRIES:
        link, target = workspace / name, DBT_PROJECT_DIR / name
        if not (link.is_symlink() and link.readlink() == target):
            link.unlink(missing_ok=True)  # a link to where the code used to be
            link.symlink_to(target)
    return workspace


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What the profile reads from the environment (the data dir as dbt sees it, DuckDB's memory limit),
    and dbt's debug log as plain text: dagster-dbt asks for JSON, which costs ~0.5 s more to write there."""
    return {
        "SALESOPS_DATA_DIR": DATA_DIR_SEEN_BY_DBT,
        "SALESOPS_MEMORY_LIMIT": settings.operations.memory_limit,
        "DBT_LOG_FORMAT_FILE": "text",
    }


@contextlib.contextmanager
def environment_for_dbt(settings: Settings) -> Iterator[None]:
    """``dbt_environment`` while dbt runs: dagster-dbt starts dbt with this process's environment."""
    overrides = dbt_environment(settings)
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def parse_state_seed() -> Path:
    return dbt_project().manifest_path.parent / PARSE_STATE_SEED


def seed_parse_state(target_path: Path) -> None:
    """Give a data dir's first dbt run the project's parse state, so it parses only what changed since."""
    seed, state = parse_state_seed(), target_path / PARSE_STATE
    if seed.exists() and not state.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, state)


def dbt_build_args(settings: Settings, full_rebuild: bool = False) -> list[str]:
    # Unit tests check the SQL on fixtures, not the data: `make test` runs them, a pipeline run need not.
    # As many dbt threads as the machine has cores (a flag, not the profile: the profile's values are part
    # of what dbt's partial parsing compares). A full rebuild replaces the incremental models' kept rows.
    return [
        "build",
        "--vars",
        json.dumps(settings.dbt_vars(), sort_keys=True),
        "--exclude-resource-type",
        "unit_test",
        "--threads",
        str(os.cpu_count() or 1),
        *(["--full-refresh"] if full_rebuild else []),
    ]


def dbt_parse_args(settings: Settings) -> list[str]:
    return ["parse", "--vars", json.dumps(settings.dbt_vars(), sort_keys=True)]


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
    write_atomically(parse_state_seed(), (project.manifest_path.parent / PARSE_STATE).read_bytes())
    return project.manifest_path


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest or the parse state is missing, or older than a file of the dbt project."""
    if not project.manifest_path.exists() or not parse_state_seed().exists():
        return True
    built = project.manifest_path.stat().st_mtime
    sources = [project.project_dir / "dbt_project.yml", project.project_dir / "profiles.yml"]
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
        dbt = WorkspaceDbtCli(
            project_dir=str(dbt_workspace(settings.data_dir)),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=str(DBT_EXECUTABLE),
        )
        with environment_for_dbt(settings):
            build_args = dbt_build_args(settings, needs_full_rebuild(settings, basis))
            events = dbt.cli(build_args, context=context, target_path=target_path).stream()
            for count, event in enumerate(events, start=1):
                yield event
                if count == DBT_PAUSE_AFTER_EVENTS:
                    pause_point("dbt")
        record_incremental_basis(settings, basis)  # reached only when every node passed: stream() raises otherwise

    return salesops_dbt_models


def mart_keys() -> list[dg.AssetKey]:
    return sorted((key for key in dbt_models().keys if key.path[0] == "marts"), key=lambda key: key.to_user_string())
