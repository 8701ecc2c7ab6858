"""Benchmark `salesops run` end to end: wall time and peak memory per scale.

Not a test (timings on a shared 2-core machine are noisy): run it with
`make benchmark` and report medians. Each repetition generates the demo
exports of the scale once, then times a first run on an empty data dir (every
delivery is ingested), a re-run on the same data dir (nothing new lands), and
the report step alone (`salesops build-reports`): every report rendered
(`reports`), then again with nothing changed (`reports=`).

    python tests/benchmark.py [--scales 1 10] [--repeat 3]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed_run(exports: Path, data_dir: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the largest of salesops and the dbt process it waits for)."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False"}
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "salesops"), "run", "--exports", str(exports), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"salesops run failed on {exports}")
    return seconds, usage.ru_maxrss / 1024


def timed_reports(data_dir: Path) -> float:
    """Wall seconds of `salesops build-reports` on the data dir's current publication."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "SALESOPS_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([str(BIN / "salesops"), "build-reports"], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'scale':>6} {'run':>8} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MiB':>9}")
    for scale in args.scales:
        with tempfile.TemporaryDirectory(prefix="salesops-bench-") as scratch:
            exports = Path(scratch) / "exports"
            subprocess.run(
                [str(BIN / "salesops"), "demo-data", "--out", str(exports), "--scale", str(scale)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            first, rerun, reports, unchanged = [], [], [], []
            for attempt in range(args.repeat):
                data_dir = Path(scratch) / f"data-{attempt}"
                first.append(timed_run(exports, data_dir))
                rerun.append(timed_run(exports, data_dir))
                # The report step alone: every report rendered, then nothing changed.
                shutil.rmtree(data_dir / "reports")
                reports.append((timed_reports(data_dir), 0))
                unchanged.append((timed_reports(data_dir), 0))
                shutil.rmtree(data_dir)
            for label, samples in (("first", first), ("re-run", rerun), ("reports", reports), ("reports=", unchanged)):
                seconds = [s for s, _ in samples]
                peak = max(m for _, m in samples)
                print(
                    f"{scale:>6g} {label:>8} {statistics.median(seconds):>9.1f} {min(seconds):>7.1f} "
                    f"{max(seconds):>7.1f} {f'{peak:.0f}' if peak else '':>9}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
