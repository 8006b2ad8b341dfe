"""Benchmark: the analysis results dataset and the whole end-of-study pack at several sizes.

For each size, the `scale` scenario is written and loaded into a fresh database (not timed), then
in a fresh process: deriving the analysis datasets and computing the whole ARD (`compute_ard`,
with the multiple-imputation sensitivity analysis), cold and then again (a second computation on
the same data: what a cache miss costs in a running app), and as the pages ask for it (without the
sensitivity analyses, which only the pack shows), then writing the whole pack
(`write_pack`: ARD, every table and listing as CSV, HTML, DOCX and RTF, the figures as PNG (Kaleido)
and HTML, the combined DOCX with the figures in it). Targets (issue 14): at 10,000 subjects the pack
under 5 s and the ARD under 0.5 s again; at 100,000 subjects the ARD under 3 s. No assertions: the
script prints a table.

    .venv/bin/python benchmarks/tables.py [--sizes 100,10000,100000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, time
from trial.analysis.ard import compute_ard
from trial.reports.pack import write_pack
from trial.store import Store
with Store.open({db!r}, read_only=True) as store:
    t = time.perf_counter(); ard = compute_ard(store); cold = time.perf_counter() - t
    t = time.perf_counter(); compute_ard(store); warm = time.perf_counter() - t
    t = time.perf_counter(); compute_ard(store, sensitivity=False); pages = time.perf_counter() - t
    t = time.perf_counter(); files = write_pack(store, {out!r}); pack = time.perf_counter() - t
print(json.dumps({{"cold": cold, "warm": warm, "pages": pages, "rows": len(ard), "pack": pack, "files": len(files)}}))
"""


def prepare(size: int, folder: Path) -> Path:
    from synthetic_data.scenarios import write_scenario
    from trial.ingest.upload import upload_paths
    from trial.store import Store

    files = write_scenario("scale", folder / "files", seed=1, subjects=size)
    db = folder / "study.duckdb"
    with Store.create(db, (folder / "files" / "study.toml").read_text(), user="bench") as store:
        upload_paths(store, files, user="bench")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "tables")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    print(f"{'subjects':>9} | {'ARD rows':>8} | {'ARD s (cold process)':>20} | {'ARD s (again)':>13} | {'pages ARD s (no MI)':>19} | {'pack s':>7} | files")
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, args.out / str(size))
        code = CHILD.format(db=str(db), out=str(args.out / str(size) / "pack"))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout)
        print(f"{size:>9,} | {r['rows']:>8,} | {r['cold']:>20.2f} | {r['warm']:>13.2f} | {r['pages']:>19.2f} | {r['pack']:>7.2f} | {r['files']}")
    print("Targets: at 10,000 subjects the pack under 5 s and the ARD under 0.5 s again; at 100,000 subjects the ARD under 3 s.")


if __name__ == "__main__":
    main()
