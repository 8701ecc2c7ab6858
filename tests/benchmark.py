"""Benchmark `salesops run` against the floor: wall time, phases, peak memory, per scale.

Not a test (timings on a shared 2-core machine are noisy): run it with
`make benchmark` and report medians. For each scale it generates the demo
exports once, then per repetition times

- **first**: `salesops run` on an empty data dir (every delivery is ingested),
  with the time of each phase read from the run's own phase lines (start-up,
  ingest with its checks, dbt, publish, reports), rows landed per second and
  MB of export files per second of ingest, and the peak RSS of the whole
  process tree (salesops and the dbt process it starts, summed, sampled every
  0.2 s);
- **no-change**: `salesops run` again on the same exports (nothing new);

and once per scale

- **floor**: the same work in one DuckDB process with no Dagster, no dbt and no
  Great Expectations: every export CSV loaded with `read_csv`, then the compiled
  SQL of every dbt model (the first run's `dbt-target/compiled`) created in
  dependency order, over the raw lake the first run landed;
- **1 % run**: the next night's delivery touching 1 % of the opportunities and
  invoices (`demo_exports.generate_next_delivery`) added to the first run's
  data dir, then `salesops run`.

    python tests/benchmark.py [--scales 1 10 100] [--repeat 3] [--json results.json]

Scales above 10 run once (`--repeat-large`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

BIN = Path(sys.executable).parent
PHASE_LINE = re.compile(r"^\s+(\d+\.\d)s  (start-up|ingest|dbt|publish|reports|email|checks)\b(.*)$")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    peak_mib: float
    phases: dict[str, float] = field(default_factory=dict)
    peak_mib_by_phase: dict[str, float] = field(default_factory=dict)
    rows_landed: int = 0


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier += children
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


def timed_run(exports: Path, data_dir: Path) -> Run:
    """`salesops run` in a subprocess: wall time, peak RSS of its process tree, its phase times."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "False"}
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "salesops"), "run", "--exports", str(exports), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    samples: list[tuple[float, int]] = []  # (seconds since the start, resident bytes of the tree)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            samples.append((time.perf_counter() - started, tree_rss(process.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"salesops run failed on {exports}:\n{output[-3000:]}")
    run = Run(seconds, max((rss for _, rss in samples), default=0) / 2**20)
    previous = 0.0
    for line in output.splitlines():
        match = PHASE_LINE.match(line)
        if match:
            elapsed = float(match.group(1))
            run.phases[match.group(2)] = round(elapsed - previous, 1)
            # A phase line is printed when the phase ends, counting from the process's start.
            in_phase = [rss for at, rss in samples if previous < at <= elapsed]
            run.peak_mib_by_phase[match.group(2)] = round(max(in_phase, default=0) / 2**20)
            previous = elapsed
            landed = re.search(r"([\d,]+) rows landed", match.group(3))
            if landed:
                run.rows_landed = int(landed.group(1).replace(",", ""))
    print(
        f"    {data_dir.name}: {run.seconds:.1f} s, peak {run.peak_mib:,.0f} MiB, phases {run.phases}, "
        f"peak MiB by phase {run.peak_mib_by_phase}",
        file=sys.stderr,
    )
    return run


def floor(exports: Path, data_dir: Path) -> dict[str, float]:
    """Seconds to load every export CSV with read_csv, then to build every model from its compiled SQL."""
    target = data_dir / "dbt-target"
    manifest = json.loads((target / "manifest.json").read_text())
    models = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    }
    order: list[str] = []
    placed: set[str] = set()

    def place(unique_id: str) -> None:
        if unique_id in placed:
            return
        placed.add(unique_id)
        for dependency in models[unique_id]["depends_on"]["nodes"]:
            if dependency in models:
                place(dependency)
        order.append(unique_id)

    for unique_id in sorted(models):
        place(unique_id)
    # The compiled SQL names relations "build"."<schema>"."<model>": the database file is build.duckdb.
    # The compiled SQL reads the lake as dbt does, relative to the data dir's dbt workspace ('../lake/...').
    with (
        tempfile.TemporaryDirectory(prefix="salesops-floor-") as scratch,
        duckdb.connect(str(Path(scratch) / "build.duckdb")) as con,
        contextlib.chdir(data_dir / "dbt"),
    ):
        started = time.perf_counter()
        for number, path in enumerate(sorted(exports.rglob("*.csv"))):
            con.execute(f"create table export_{number} as select * from read_csv('{path}', header = true)")
        loaded = time.perf_counter()
        for unique_id in order:
            node = models[unique_id]
            sql = (target / "compiled" / "salesops" / node["original_file_path"]).read_text()
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f'create schema if not exists "{node["schema"]}"')
            con.execute(f"create or replace {kind} {node['relation_name']} as (\n{sql}\n)")
        built = time.perf_counter()
    return {"load": round(loaded - started, 1), "models": round(built - loaded, 1), "total": round(built - started, 1)}


def export_megabytes(exports: Path) -> float:
    return sum(path.stat().st_size for path in exports.rglob("*") if path.is_file()) / 1e6


def summarize(scale: float, first: list[Run], unchanged: list[Run], floor_seconds: dict, incremental: Run, mb: float):
    """One scale's results (medians over the repetitions)."""
    median_first = statistics.median(run.seconds for run in first)
    phases = {name: statistics.median(run.phases.get(name, 0.0) for run in first) for name in first[0].phases}
    ingest = phases.get("ingest") or float("nan")
    return {
        "scale": scale,
        "export_mb": round(mb, 1),
        "rows_landed": first[0].rows_landed,
        "first_s": round(median_first, 1),
        "first_min_s": round(min(run.seconds for run in first), 1),
        "first_max_s": round(max(run.seconds for run in first), 1),
        "phases_s": phases,
        "ingest_rows_per_s": round(first[0].rows_landed / ingest),
        "ingest_mb_per_s": round(mb / ingest, 1),
        "peak_rss_mib": round(max(run.peak_mib for run in first)),
        "peak_rss_mib_by_phase": {name: max(run.peak_mib_by_phase.get(name, 0) for run in first) for name in phases},
        "no_change_s": round(statistics.median(run.seconds for run in unchanged), 2),
        "floor_s": floor_seconds,
        "ratio_to_floor": round(median_first / floor_seconds["total"], 1),
        "one_percent_s": round(incremental.seconds, 1),
        "one_percent_phases_s": incremental.phases,
        "one_percent_share": round(incremental.seconds / median_first, 2),
        "repetitions": len(first),
    }


def benchmark_scale(scale: float, repeat: int, fraction: float) -> dict:
    from demo_exports import generate_next_delivery

    with tempfile.TemporaryDirectory(prefix="salesops-bench-") as scratch:
        exports = Path(scratch) / "exports"
        subprocess.run(
            [str(BIN / "salesops"), "demo-data", "--out", str(exports), "--scale", str(scale)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        mb = export_megabytes(exports)
        first, unchanged, floor_seconds = [], [], None
        for attempt in range(repeat):
            data_dir = Path(scratch) / f"data-{attempt}"
            first.append(timed_run(exports, data_dir))
            if floor_seconds is None:  # the first run's compiled SQL, before any incremental run
                floor_seconds = floor(exports, data_dir)
            unchanged.append(timed_run(exports, data_dir))
            if attempt < repeat - 1:
                shutil.rmtree(data_dir)
        generate_next_delivery(exports, fraction)
        incremental = timed_run(exports, data_dir)
        return summarize(scale, first, unchanged, floor_seconds, incremental, mb)


def print_result(result: dict) -> None:
    phases = "  ".join(f"{name} {seconds:.1f}" for name, seconds in result["phases_s"].items())
    print(
        f"scale {result['scale']:g}: {result['export_mb']} MB of exports, {result['rows_landed']:,} rows\n"
        f"  first run    {result['first_s']:>7.1f} s (min {result['first_min_s']}, max {result['first_max_s']}, "
        f"{result['repetitions']} runs)   phases: {phases}\n"
        f"  ingest       {result['ingest_rows_per_s']:>7,} rows/s   {result['ingest_mb_per_s']} MB/s\n"
        f"  peak RSS     {result['peak_rss_mib']:>7,} MiB (process tree; by phase: "
        f"{', '.join(f'{name} {mib:,}' for name, mib in result['peak_rss_mib_by_phase'].items())})\n"
        f"  floor        {result['floor_s']['total']:>7.1f} s (read_csv {result['floor_s']['load']} s, "
        f"models {result['floor_s']['models']} s)   run / floor = {result['ratio_to_floor']}\n"
        f"  no change    {result['no_change_s']:>7.2f} s\n"
        f"  1 % run      {result['one_percent_s']:>7.1f} s = {result['one_percent_share']:.0%} of the first run",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scale up to 10 (medians are reported)")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs per scale above 10")
    parser.add_argument("--fraction", type=float, default=0.01, help="share of the records the 1 %% delivery touches")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    for scale in args.scales:
        result = benchmark_scale(scale, args.repeat if scale <= 10 else args.repeat_large, args.fraction)
        print_result(result)
        results.append(result)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
