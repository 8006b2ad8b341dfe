"""Benchmark: what tamper evidence costs — sealing at load time, and ``trial audit --verify``.

For each size, the `scale` scenario is written once (not timed); then, each in a fresh process:

  (a) the whole study loaded through the normal upload path (``upload_paths``: 8 files, one per
      domain) into a new database, twice: with sealing as shipped, and with the sealing helpers
      replaced by no-ops (the baseline: the same load without seals); wall time of the loads and
      the database file's size after closing;
  (b) into each loaded database, 50 new hair_counts rows (another region of existing visits) and
      then a re-upload of those 50 rows with one value corrected (a reason given), three rounds:
      the median time of each upload, to show that a write costs the rows it changes, not the
      size of the table;
  (c) ``trial.governance.integrity.verify`` on the sealed database, opened read-only (median of three), and
      the real ``trial audit --verify`` command on it (including interpreter start-up and imports).

No assertions about timings: it prints a table. Absolute times move with the machine's load.

    .venv/bin/python benchmarks/seals.py [--sizes 1000,10000,100000] [--out DIR]

Generated files and databases go under --out (default benchmarks/out/seals/, git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

LOAD = """
import contextlib, json, statistics, time
from pathlib import Path
from trial.store import seals
if not {sealed}:  # the baseline: every writer's sealing call does nothing
    seals.added = lambda *args, **kwargs: None
    seals.rewriting = lambda *args, **kwargs: contextlib.nullcontext()
from trial.ingest.upload import upload_bytes, upload_paths
from trial.store import Store

files = sorted(Path({files!r}).glob("*.csv"))
study = Path({files!r}, "study.toml").read_text()
with Store.create({db!r}, study, user="bench") as store:
    t, c = time.perf_counter(), time.process_time()
    results = upload_paths(store, files, user="bench")
    load, load_cpu = time.perf_counter() - t, time.process_time() - c
    assert all(r.status == "loaded" for r in results), [r.file_name for r in results if r.status != "loaded"]
    rows = store.scalar("SELECT count(*) FROM hair_counts")
    picked = store.query("SELECT * FROM hair_counts WHERE region = 'TARGET' ORDER BY subject_id, visit LIMIT 50")
    header = ",".join(c for c in picked.columns if c not in ("upload_id", "source_line"))

    def as_file(frame):
        cells = frame[header.split(",")].astype(object).where(frame.notna(), "")
        cells["assessment_date"] = frame["assessment_date"].dt.strftime("%Y-%m-%d")
        return (header + "\\n" + cells.to_csv(index=False, header=False)).encode()

    more, fix = [], []
    for region in ("FRONTAL", "VERTEX", "OCCIPITAL"):  # three rounds, each with new keys: the median counts
        added = picked.assign(region=region)
        t = time.perf_counter(); new = upload_bytes(store, as_file(added), f"{{region}}.csv", user="bench")
        more.append(time.perf_counter() - t)
        assert new.inserted == 50, [f.sentence for f in new.findings]
        fixed = added.assign(hair_count=added["hair_count"] + 1)
        t = time.perf_counter()
        corrected = upload_bytes(store, as_file(fixed), f"fix-{{region}}.csv", user="bench", reason="SDV")
        fix.append(time.perf_counter() - t)
        assert corrected.corrected == 50, [f.sentence for f in corrected.findings]
    more, fix = statistics.median(more), statistics.median(fix)
    records = sum(store.scalar(f"SELECT count(*) FROM {{t}}") for t in seals.SEALED)
print(json.dumps({{"load": load, "load_cpu": load_cpu, "more": more, "fix": fix, "hair_counts": rows, "records": records}}))
"""

VERIFY = """
import json, statistics, time
from trial.governance.integrity import verify
from trial.store import Store
with Store.open({db!r}, read_only=True) as store:
    times, cpu, verdict = [], [], None
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        verdict = verify(store)
        times.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
assert verdict.intact, verdict.shown
print(json.dumps({{"verify": statistics.median(times), "verify_cpu": statistics.median(cpu), "records": verdict.records}}))
"""


def _child(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def _mib(path: Path) -> float:
    return path.stat().st_size / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "seals")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    from synthetic_data.scenarios import write_scenario

    print(f"{'subjects':>9} | {'records':>9} | {'load s':>6} | {'no seals':>8} | {'CPU s':>5} | {'no seals':>8} | "
          f"{'MiB':>5} | {'no seals':>8} | {'+50 rows s':>11} | {'50 fixed s':>11} | {'verify s':>8} | {'CPU s':>5} | {'CLI s':>5}")
    for size in (int(s) for s in args.sizes.split(",")):
        folder = args.out / str(size)
        write_scenario("scale", folder / "files", seed=1, subjects=size)
        runs = {}
        for sealed in (True, False):
            db = folder / ("sealed.duckdb" if sealed else "plain.duckdb")
            runs[sealed] = _child(LOAD.format(sealed=sealed, files=str(folder / "files"), db=str(db))) | {"mib": _mib(db)}
        sealed_db = folder / "sealed.duckdb"
        checked = _child(VERIFY.format(db=str(sealed_db)))
        started = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "trial.cli", "audit", "--verify", "--db", str(sealed_db)], cwd=ROOT,
                             capture_output=True, text=True, env=os.environ | {"TRIAL_HOME": str(folder / "home")})
        cli_seconds = time.perf_counter() - started
        if cli.returncode:
            raise SystemExit(cli.stderr)
        s, p = runs[True], runs[False]
        print(f"{size:>9,} | {checked['records']:>9,} | {s['load']:>6.2f} | {p['load']:>8.2f} | {s['load_cpu']:>5.2f} | "
              f"{p['load_cpu']:>8.2f} | {s['mib']:>5.1f} | {p['mib']:>8.1f} | "
              f"{s['more']:>5.2f}/{p['more']:<5.2f} | {s['fix']:>5.2f}/{p['fix']:<5.2f} | {checked['verify']:>8.2f} | "
              f"{checked['verify_cpu']:>5.2f} | {cli_seconds:>5.1f}")
    print("load: the study's 8 files through upload_paths, wall and CPU seconds (the process's, DuckDB's threads "
          "included: steadier on a shared machine); no seals: the same with the sealing calls made no-ops. "
          "+50 rows, 50 fixed: one more upload into the loaded study, sealed/no seals. verify: trial.governance.integrity.verify, "
          "median of 3; CLI: `trial audit --verify`, start-up included.")


if __name__ == "__main__":
    main()
