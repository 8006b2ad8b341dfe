"""Benchmark: what each user's view of the store costs (``trial.governance.access``).

For each size, the `scale` scenario is written and loaded into a fresh database (not timed); then,
in one process, for the full view, a monitor's blinded view and a site user's view: opening a
scoped cursor (the temporary views shadowing every study table), deriving ADSL, and computing the
whole ARD (``compute_ard``, no cache), each the median of three runs. No assertions: it prints a table.

    .venv/bin/python benchmarks/access.py [--sizes 1000,10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from tables import HERE, prepare

from trial.analysis.ard import compute_ard
from trial.analysis.datasets import analysis_dataset
from trial.governance.access import Access, FULL_ACCESS
from trial.governance.views import scoped
from trial.store import Store

VIEWS = {"full (statistician)": FULL_ACCESS, "blinded (monitor)": Access(blinded=True),
         "site S01, blinded": Access(sites=frozenset({"S01"}), blinded=True)}


def _median_seconds(job, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "access")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    print(f"{'subjects':>9} | {'view':<20} | {'cursor ms':>9} | {'ADSL s':>7} | {'ARD s':>6} | ARD rows")
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, args.out / str(size))
        with Store.open(db, read_only=True) as store:
            for name, access in VIEWS.items():
                seen = scoped(store, access)
                cursor_ms = 1000 * _median_seconds(lambda seen=seen: seen.cursor().close(), runs=20)
                adsl = _median_seconds(lambda seen=seen: analysis_dataset(seen, "adsl"))
                ard = _median_seconds(lambda seen=seen: compute_ard(seen))
                rows = len(compute_ard(seen))
                print(f"{size:>9,} | {name:<20} | {cursor_ms:>9.1f} | {adsl:>7.2f} | {ard:>6.2f} | {rows:,}")


if __name__ == "__main__":
    main()
