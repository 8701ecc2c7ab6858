"""How dbt runs for a data dir: its workspace, its environment and its arguments.

Plain functions, free of Dagster and dagster-dbt: ``salesops run`` uses them
before it loads either, to start the warm dbt (orchestration/warm_dbt.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from orchestration import warm_dbt
from salesops.settings import DBT_PROJECT_DIR, Settings

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
PROJECT_TARGET_DIR = DBT_PROJECT_DIR / "target"
"""The project's own target folder: its manifest (what Dagster's definitions are made from) and parse state."""
DATA_DIR_SEEN_BY_DBT = ".."
"""SALESOPS_DATA_DIR as dbt renders it: the data dir relative to the workspace dbt runs in (``dbt_workspace``)."""
PROJECT_ENTRIES = (*warm_dbt.PROJECT_FILES, *warm_dbt.PROJECT_FOLDERS)
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
    """What the profile reads from the environment (the data dir as dbt sees it, DuckDB's memory limit), and
    dbt's file log as plain text at info level: dagster-dbt asks for JSON, and the debug level logs every
    statement (~0.3 s more a scale-1 build; the SQL of each node is in the target folder's ``run/``)."""
    return {
        "SALESOPS_DATA_DIR": DATA_DIR_SEEN_BY_DBT,
        "SALESOPS_MEMORY_LIMIT": settings.operations.memory_limit,
        "DBT_LOG_FORMAT_FILE": "text",
        "DBT_LOG_LEVEL_FILE": "info",
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
    return PROJECT_TARGET_DIR / PARSE_STATE_SEED


def seed_parse_state(target_path: Path) -> None:
    """Give a data dir's first dbt run the project's parse state, so it parses only what changed since."""
    seed, state = parse_state_seed(), target_path / warm_dbt.PARSE_STATE
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


def dagster_dbt_environment(workspace: Path, target_path: Path) -> dict[str, str]:
    """The variables dagster-dbt sets for a dbt command it starts in ``workspace`` (dbt's parse reads them)."""
    return {
        "DBT_LOG_FORMAT": "json",
        "DBT_TARGET_PATH": os.fspath(target_path),
        "DBT_LOG_PATH": os.fspath(target_path),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(workspace),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def start_warm_dbt(settings: Settings) -> None:
    """Start the warm dbt for this data dir's build (orchestration/warm_dbt.py): it imports dbt and parses the
    project as the build will, from the data dir's parse state (else the project's), while the run ingests."""
    workspace, target_path = dbt_workspace(settings.data_dir), settings.dbt_target_dir
    parse_state = target_path / warm_dbt.PARSE_STATE
    warm_dbt.start(
        workspace,
        dbt_parse_args(settings),
        {**dbt_environment(settings), **dagster_dbt_environment(workspace, target_path)},
        parse_state if parse_state.exists() else parse_state_seed(),
        DBT_EXECUTABLE,
    )
