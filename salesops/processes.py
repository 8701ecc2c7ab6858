"""Worker processes for the work salesops moves off the main process (validation, report rendering)."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable


def started_process_pool(count: int, initializer: Callable[[], object]) -> concurrent.futures.ProcessPoolExecutor:
    """``count`` worker processes, started now, each running ``initializer`` (its imports) before any task.

    Spawned, not forked: the caller may be a threaded process (Dagster), where fork is unsafe. Started now
    rather than on the first task, so that their start-up overlaps what the caller does meanwhile.
    """
    pool = concurrent.futures.ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("spawn"), initializer=initializer
    )
    for _ in range(count):
        pool.submit(int)  # the pool starts a process per task waiting, up to ``count``
    return pool
