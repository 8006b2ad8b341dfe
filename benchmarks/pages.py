"""Benchmark: each dashboard page's first render, in server time, at several study sizes.

For each size, the `scale` scenario is written and loaded into a fresh database (not timed). Then,
in a fresh process, Streamlit's AppTest runs the app (the server-side script run, without a
browser) and times:
- **first visit**: each page opened once, in navigation order, in a server that has already run
  the app once (what a user meets clicking through the pages; caches fill as pages need them);
- **again**: the same page opened a second time at the same data version (cached);
- **cold server**: the page as the very first page of a fresh process (every cache empty; the
  analysis results dataset computed for it alone).
Target (issue 5): each page's first render under 1 s at 10,000 subjects. No assertions.

    .venv/bin/python benchmarks/pages.py [--sizes 1000,10000] [--out DIR] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tables import prepare  # the same scale-scenario databases as the tables benchmark

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGES = ["views/upload.py", "views/subject.py", "views/overview.py", "views/tolerability.py", "views/efficacy.py",
         "views/assessments.py", "views/reports.py"]

CHILD = """
import json, sys, time
from streamlit.testing.v1 import AppTest
pages = {pages!r}
at = AppTest.from_file({app!r}, default_timeout=600)
t = time.perf_counter(); at.run(); start = time.perf_counter() - t
times = {{}}
for page in pages:
    runs = []
    for _ in range(2 if {again} else 1):
        t = time.perf_counter(); at.switch_page(page); at.run(); runs.append(time.perf_counter() - t)
        if at.exception:
            sys.exit(f"{{page}}: {{at.exception[0].message}}")
    times[page] = runs
print(json.dumps({{"start": start, "times": times}}))
"""


def run(db: Path, pages: list[str], *, again: bool) -> dict:
    code = CHILD.format(pages=pages, app=str(ROOT / "dashboards" / "app.py"), again=again)
    env = {**os.environ, "TRIAL_DB": str(db), "TRIAL_USER": "bench"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"the app failed on {db}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "pages")
    parser.add_argument("--cold", action="store_true", help="also open each page as the first of a fresh process")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    print(f"{'subjects':>9} | {'page':<22} | {'first visit s':>13} | {'again s':>7} | {'cold server s':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        db = prepare(size, args.out / str(size))
        visits = run(db, PAGES, again=True)
        for page in PAGES:
            first, again = visits["times"][page]
            cold = f"{run(db, [page], again=False)['times'][page][0]:>13.2f}" if args.cold else f"{'–':>13}"
            name = page.removeprefix("views/").removesuffix(".py")
            print(f"{size:>9,} | {name:<22} | {first:>13.2f} | {again:>7.2f} | {cold}")
        print(f"{size:>9,} | {'(app start)':<22} | {visits['start']:>13.2f} |")
    print("Target: each page's first render under 1 s of server time at 10,000 subjects.")


if __name__ == "__main__":
    main()
