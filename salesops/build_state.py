"""Whether a run has anything to build: the fingerprint of what a publication is made from.

A publication is a function of the exports (every file in the drop folder), the
code (our packages, the dbt project, the engines' versions) and the settings.
``salesops run`` records the fingerprint of each run that published; a later
run with the same fingerprint, while that publication is still the current one,
would rebuild the same marts, so it says so and stops within a second.

The exports are fingerprinted by path, size and modification time, as ``make``
does: reading 500 MB to hash it would cost the seconds this saves, and any
write to a file changes its modification time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from salesops.files import write_atomically
from salesops.settings import PROJECT_ROOT, Settings

# What the dbt build is made with (the incremental basis) is part of what a whole run is made with.
DBT_CODE = ("dbt_project/models", "dbt_project/macros")
DBT_CODE_FILES = ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml")
DBT_ENGINES = ("dbt-core", "dbt-duckdb", "duckdb")
CODE = ("ingestion", "orchestration", "publishing", "salesops", *DBT_CODE)
CODE_FILES = (*DBT_CODE_FILES, "pyproject.toml")
ENGINES = ("dagster", "dagster-dbt", *DBT_ENGINES, "great-expectations", "reportlab")
LAST_BUILD = "last_build.json"
INCREMENTAL_BASIS = "incremental_basis.txt"


@dataclass(frozen=True)
class Build:
    fingerprint: str
    run_id: str
    publication_id: str
    finished_at: str


def _exports_state(exports_dir: Path) -> list[str]:
    lines = []
    for folder, directories, files in os.walk(exports_dir):
        directories.sort()
        for name in sorted(files):
            status = os.stat(os.path.join(folder, name))
            relative = os.path.relpath(os.path.join(folder, name), exports_dir)
            lines.append(f"{relative}\t{status.st_size}\t{status.st_mtime_ns}")
    return lines


def _digest(folders: tuple[str, ...], files: tuple[str, ...], engines: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    paths = [PROJECT_ROOT / name for name in files]
    for folder in folders:
        paths += (path for path in (PROJECT_ROOT / folder).rglob("*") if path.is_file() and path.suffix != ".pyc")
    for path in sorted(paths):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    for engine in engines:
        digest.update(f"{engine}=={metadata.version(engine)}\n".encode())
    return digest.hexdigest()


def _code_digest() -> str:
    return _digest(CODE, CODE_FILES, ENGINES)


def incremental_basis(settings: Settings) -> str:
    """What the rows of the incremental models are computed with: the dbt project, its vars, the engines.

    Rows an incremental model kept from earlier runs were computed by the code of
    those runs; when this changes, the models are rebuilt in full.
    """
    digest = hashlib.sha256(_digest(DBT_CODE, DBT_CODE_FILES, DBT_ENGINES).encode())
    digest.update(json.dumps(settings.dbt_vars(), sort_keys=True).encode())
    return digest.hexdigest()


def needs_full_rebuild(settings: Settings, basis: str) -> bool:
    """True unless the last successful dbt build in this data dir had this incremental basis."""
    try:
        return (settings.dbt_target_dir / INCREMENTAL_BASIS).read_text(encoding="utf-8") != basis
    except FileNotFoundError:
        return True


def record_incremental_basis(settings: Settings, basis: str) -> None:
    """After a successful dbt build: every incremental model's rows are those of the basis it was built with."""
    write_atomically(settings.dbt_target_dir / INCREMENTAL_BASIS, basis.encode("utf-8"))


def forget_incremental_basis(settings: Settings) -> None:
    """The next dbt build rebuilds the incremental models in full (``salesops run --full-refresh``)."""
    (settings.dbt_target_dir / INCREMENTAL_BASIS).unlink(missing_ok=True)


def build_fingerprint(settings: Settings) -> str:
    """What a run would build from: the exports' files, the code and the settings."""
    digest = hashlib.sha256()
    digest.update(settings.model_dump_json().encode())
    digest.update(_code_digest().encode())
    digest.update("\n".join(_exports_state(settings.exports_dir)).encode())
    return digest.hexdigest()


def last_build(settings: Settings) -> Build | None:
    path = settings.runs_dir / LAST_BUILD
    try:
        return Build(**json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):  # none yet, or cut by a killed process
        return None


def record_build(settings: Settings, fingerprint: str, run_id: str, publication_id: str) -> None:
    build = Build(fingerprint, run_id, publication_id, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    write_atomically(settings.runs_dir / LAST_BUILD, json.dumps(asdict(build)).encode("utf-8"))


def forget_build(settings: Settings) -> None:
    """Before a run builds: until it publishes, the lake may hold what the recorded build did not."""
    (settings.runs_dir / LAST_BUILD).unlink(missing_ok=True)


def nothing_new(settings: Settings, fingerprint: str, current_publication_id: str | None) -> Build | None:
    """The recorded build when it was made from the same fingerprint and its publication is still current."""
    build = last_build(settings)
    if build and build.fingerprint == fingerprint and build.publication_id == current_publication_id:
        return build
    return None
