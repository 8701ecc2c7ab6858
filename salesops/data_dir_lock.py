"""One writer of a data dir at a time: the raw lake, the build database and the publication.

A run holds an exclusive lock on ``<data dir>/salesops.lock`` from before it
lands anything until it has published. A second run (from the CLI, the arrival
sensor or the schedule) is refused at once with a message naming the run that
holds it; it has changed nothing. The lock is the operating system's (flock),
so it goes with its process: a run killed with SIGKILL leaves no stale lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "salesops.lock"


class DataDirBusy(RuntimeError):
    """Another run holds the data dir."""


@contextlib.contextmanager
def exclusive_data_dir(data_dir: Path, holder: str) -> Iterator[None]:
    """Hold the data dir's lock for the duration; ``holder`` says who, for the message a second run gets."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held across the yield, closed in finally)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            current = handle.read().strip() or "a process that did not say who it is"
            raise DataDirBusy(
                f"{data_dir} is in use by another salesops run ({current}). Nothing was changed: "
                "run again when it has finished (a killed run releases the lock by itself)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder}, pid {os.getpid()}, since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
