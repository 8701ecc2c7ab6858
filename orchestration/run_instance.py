"""The Dagster instance ``salesops run`` records its run in.

Without ``DAGSTER_HOME``, an ephemeral one: nothing is kept but salesops's own run
log. With it, the instance its ``dagster.yaml`` describes, where the UI shows the
run. Dagster's default SQLite event log opens a database engine and a connection
for every event it writes, some 1,100 in a scale-1 run: ~5 s of it. Unless
``dagster.yaml`` chooses its own storage, the run's events go through
``RunEventLogStorage`` instead: the same files and tables, with one engine per
database kept while the run lasts. The UI and the daemon keep Dagster's own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# The dagster.yaml keys that choose where runs and events are stored: when any is set, the instance is used as is.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


class RunEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (same database files, tables and locking), keeping one engine and connection
    per database file instead of opening them for every event. For a process that writes one run and ends."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, Engine] = {}  # before Dagster's __init__, which may connect already
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value: Mapping[str, Any]) -> RunEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # every use of the one connection is serialized, as Dagster serializes its own
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=StaticPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


def run_instance() -> dg.DagsterInstance:
    """The instance of ``DAGSTER_HOME`` (its event log kept open while the run lasts, unless its dagster.yaml
    chooses the storage), else an ephemeral one."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    settings = Path(home) / "dagster.yaml"
    configured = (yaml.safe_load(settings.read_text(encoding="utf-8")) if settings.exists() else None) or {}
    if any(key in configured for key in STORAGE_KEYS):
        return dg.DagsterInstance.get()
    # Dagster's own default places the event log here (dagster/_core/instance/ref.py).
    events = os.path.join(os.path.abspath(home), "history", "runs", "")
    overrides = {
        "event_log_storage": {"module": __name__, "class": RunEventLogStorage.__name__, "config": {"base_dir": events}}
    }
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(home, overrides=overrides))
