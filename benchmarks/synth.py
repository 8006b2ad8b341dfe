"""Benchmark: writing synthetic scenarios, and building the demo.

Measures, each in a fresh process:
  - `trial synth --scenario scale --subjects N` (the library call, and the CLI wall time) for
    several N: seconds, rows written, megabytes;
  - `trial demo --no-serve` wall time (synthesise dhurat2013, create the database, load the
    eight files through the normal upload path), as a new user runs it.

Targets (issue 3): 100,000 subjects written in under a minute; the demo built in under 30 s.
No assertions: the script prints a table.

    .venv/bin/python benchmarks/synth.py [--sizes 1000,10000,100000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRIAL = [sys.executable, "-m", "trial.cli"]


def _child_synth(size: int, folder: Path) -> dict:
    code = (
        "import json, time, sys\n"
        "from synthetic_data.scenarios import write_scenario\n"
        "t = time.perf_counter()\n"
        f"files = write_scenario('scale', {str(folder)!r}, seed=1, subjects={size})\n"
        "took = time.perf_counter() - t\n"
        "rows = sum(sum(1 for _ in open(f)) - 1 for f in files)\n"
        "print(json.dumps({'seconds': took, 'rows': rows, 'mb': sum(f.stat().st_size for f in files) / 1e6}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "synth")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)

    print(f"{'subjects':>9} | {'rows':>10} | {'MB':>7} | {'synth s (lib)':>13} | {'synth s (CLI)':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        lib = _child_synth(size, args.out / f"lib-{size}")
        cli = _wall([*TRIAL, "synth", "--scenario", "scale", "--subjects", str(size), "--out", str(args.out / f"cli-{size}")], args.out)
        print(f"{size:>9,} | {lib['rows']:>10,} | {lib['mb']:>7.1f} | {lib['seconds']:>13.2f} | {cli:>13.2f}")

    demo = _wall([*TRIAL, "demo", "--no-serve", "--db", str(args.out / "demo.duckdb")], args.out)
    print(f"\ntrial demo --no-serve (dhurat2013: synthesise, init, load 8 files): {demo:.1f} s wall")
    print("Targets: 100,000 subjects written in < 60 s; demo built in < 30 s.")


if __name__ == "__main__":
    main()
