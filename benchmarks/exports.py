"""Benchmark: the CDISC exports at several sizes.

For each size, the `scale` scenario is written and loaded into a fresh database (not timed), then
in a fresh process `trial.cdisc.export.export_adam` writes every ADaM dataset as SAS XPT v5 and
Dataset-JSON 1.1 and the define.xml; the table gives the whole export and its parts. Target
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
from trial.cdisc import adam, export
from trial.governance.users import open_user
from trial.store import Store
import trial.cdisc.xpt as xpt, trial.cdisc.dataset_json as dj, trial.cdisc.define as define
spent = {{"datasets": 0.0, "xpt": 0.0, "json": 0.0, "define": 0.0}}
def timed(key, function):
    def run(*args, **kwargs):
        t = time.perf_counter(); result = function(*args, **kwargs); spent[key] += time.perf_counter() - t
        return result
    return run
export.adam_datasets = timed("datasets", adam.adam_datasets)
export.write_xpt = timed("xpt", xpt.write_xpt)
export.write_dataset_json = timed("json", dj.write_dataset_json)
export.write_define = timed("define", define.write_define)
with Store.open({db!r}) as store:
    t = time.perf_counter(); files = export.export_adam(store, open_user("bench"), Path({out!r})); total = time.perf_counter() - t
size = sum(p.stat().st_size for p in files)
print(json.dumps({{"total": total, "files": len(files), "mb": size / 1e6, **spent}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "exports")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    print(f"{'subjects':>9} | {'ADaM export s':>13} | {'datasets s':>10} | {'XPT s':>6} | {'JSON s':>6} | {'define s':>8} | files |     MB")
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, args.out / str(size))
        code = CHILD.format(db=str(db), out=str(args.out / str(size) / "adam"))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{size:>9,} | {r['total']:>13.2f} | {r['datasets']:>10.2f} | {r['xpt']:>6.2f} | {r['json']:>6.2f} | {r['define']:>8.2f} | "
              f"{r['files']:>5} | {r['mb']:>6.1f}")
    print("Target (issue 15): all exports at 10,000 subjects under 10 s.")


if __name__ == "__main__":
    main()
