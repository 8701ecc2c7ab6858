"""Named pause points, so that tests can kill a run at a chosen moment rather than by timing.

With ``SALESOPS_PAUSE_AT=<point>`` the process that reaches the point writes
the point's name to ``SALESOPS_PAUSE_MARKER`` and sleeps until it is killed.
Unset (always, outside the fault-injection tests), a point costs one lookup.
Points: ``landing`` (a delivery written but not yet renamed into the lake),
``validation`` (the Great Expectations process about to validate a file),
``dbt`` (dbt has built some models of the run), ``publish`` (between the two
renames that make a publication current).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT = "SALESOPS_PAUSE_AT"
PAUSE_MARKER = "SALESOPS_PAUSE_MARKER"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_AT) != name:
        return
    Path(os.environ[PAUSE_MARKER]).write_text(name, encoding="utf-8")
    while True:  # until the test kills the process
        time.sleep(60)
