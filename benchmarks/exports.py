"""Benchmark: the CDISC exports at several sizes.

For each size, the `scale` scenario is written and loaded into a fresh database (not timed), then
in a fresh process `trial.cdisc.export.export_cdisc` writes every SDTM and then every ADaM dataset as
SAS XPT v5 and Dataset-JSON 1.1 with each standard's define.xml, then the ODM 1.3.2 file; the table
gives each export, its parts, and all of them together. Target
(issue 15): all exports at 10,000 subjects under 10 s. No assertions.

    .venv/bin/python benchmarks/exports.py [--sizes 1000,10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tables import prepare  # the same scale-scenario databases as the tables benchmark

HERE = Path(__file__).resolve().parent

CHILD = """
import json, time
from pathlib import Path
from trial.cdisc import export
from trial.governance.users import open_user
from trial.store import Store
import trial.cdisc.xpt as xpt, trial.cdisc.dataset_json as dj, trial.cdisc.define as define
spent = {{}}
def timed(key, function):
    def run(*args, **kwargs):
        t = time.perf_counter(); result = function(*args, **kwargs); spent[key] = spent.get(key, 0.0) + time.perf_counter() - t
        return result
    return run
export.STANDARDS = {{kind: (standard, timed("datasets", build), *rest) for kind, (standard, build, *rest) in export.STANDARDS.items()}}
export.write_xpt = timed("xpt", xpt.write_xpt)
export.write_dataset_json = timed("json", dj.write_dataset_json)
export.write_define = timed("define", define.write_define)
results = {{}}
with Store.open({db!r}) as store:
    for kind in ("sdtm", "adam"):
        spent.clear()
        t = time.perf_counter(); files = export.export_cdisc(store, open_user("bench"), kind, Path({out!r}) / kind)
        results[kind] = {{"total": time.perf_counter() - t, "files": len(files), "mb": sum(p.stat().st_size for p in files) / 1e6, **spent}}
    t = time.perf_counter(); odm = export.export_odm(store, open_user("bench"), Path({out!r}) / "study.xml")
    results["odm"] = {{"total": time.perf_counter() - t, "files": 1, "mb": odm.stat().st_size / 1e6}}
print(json.dumps(results))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "exports")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    print(f"{'subjects':>9} | {'export':<6} | {'total s':>7} | {'datasets s':>10} | {'XPT s':>6} | {'JSON s':>6} | {'define s':>8} | files |     MB")
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, args.out / str(size))
        code = CHILD.format(db=str(db), out=str(args.out / str(size)))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        results = json.loads(done.stdout.strip().splitlines()[-1])
        for kind, r in results.items():
            parts = " | ".join(f"{r[p]:>{w}.2f}" if p in r else f"{'–':>{w}}" for p, w in (("datasets", 10), ("xpt", 6), ("json", 6), ("define", 8)))
            print(f"{size:>9,} | {kind.upper():<6} | {r['total']:>7.2f} | {parts} | {r['files']:>5} | {r['mb']:>6.1f}")
        print(f"{size:>9,} | {'all':<6} | {sum(r['total'] for r in results.values()):>7.2f} |")
    print("Target (issue 15): all exports at 10,000 subjects under 10 s.")


if __name__ == "__main__":
    main()
