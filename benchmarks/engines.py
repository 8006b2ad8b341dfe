"""Benchmark: the embedded store and PostgreSQL side by side, in one run.

Starts a throwaway PostgreSQL cluster (``tests/postgres.py``'s, as the tests do: initdb in a temporary
folder, a free port; removed at the end) and measures, for each engine:

1. **ingest**: one site's hair_counts file (S01's rows of ``ingest_files.generate``'s demo-study data, so
   that a site account may send it) loaded by the library (``upload_path``) into a study that holds
   the site's subjects and randomization, against the engine's own bulk load of the same file
   (DuckDB ``read_csv`` into a new database file; PostgreSQL ``COPY … FROM STDIN (FORMAT csv)`` into a
   table of the same columns, as its owner). On PostgreSQL the load runs as the site's account role:
   the mirror of what it may read, the checks, and the replay (COPY into a temporary table, INSERT …
   SELECT under the row-level policies, the audit trigger). Opening the store (copying the mirror)
   is shown apart.
2. **the ARD** at a number of subjects (the ``scale`` scenario): embedded, and on PostgreSQL as the
   statistician's role, opening (the mirror's copy over Arrow) and computing, and computing again.
3. **each page** of the dashboards at the same number of subjects, signed in as the statistician (who
   opens every analysis page): its first visit (in a server that has run the app once; caches fill as
   pages need them) and a second visit, in server time (Streamlit's AppTest, in a process of its own);
   on PostgreSQL the server logs in as the owner and acts as the statistician's role (``SET ROLE``);
4. **uploads per minute** with 8 loader processes of 10 one-subject files each at once (PostgreSQL;
   the embedded store refuses a second writing process).

    .venv/bin/python benchmarks/engines.py [--rows 100000,1000000] [--subjects 10000] [--out DIR]

    .venv/bin/python benchmarks/engines.py --rows 1000000 --repeat 5   # ingest medians of 5 runs

Targets (issue 13): embedded ingest within 2x DuckDB's read_csv; PostgreSQL ingest within 3x its COPY;
the ARD on PostgreSQL within 1.5x the embedded ARD. It asserts nothing about timings; absolute times
move with the machine's load (on a shared 2-core machine a single run can be 40 % off: ``--repeat``
shows the median of several runs, each on a database of its own, with the fastest and slowest).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from ingest_files import _write_csv, generate  # noqa: E402

PASSWORD = "bench mark password"
LOADERS, FILES_EACH = 8, 10


def _site_file(source: Path, target: Path, site: str = "S01") -> int:
    """``source``'s rows of one site, written to ``target``; how many."""
    table = pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(column_types={"site_id": "string"}))
    mine = table.filter(pc.equal(table["site_id"], site))
    _write_csv(mine, target)
    return mine.num_rows


def _team(store, people: dict) -> None:
    from trial.governance.users import add_user

    for name, (roles, site) in people.items():
        add_user(store, name, PASSWORD, roles, site_id=site, by="bench")


def ingest(cluster, rows: int, out: Path, run: int = 1) -> dict:
    import duckdb
    import psycopg
    from postgres import server_twin

    from trial.ingest.upload import upload_path
    from trial.store import Store
    from trial.store.server import ServerStore
    from trial.study import builtin_study_text

    files = generate(rows, out / "all")
    site = {name: out / f"{name}.csv" for name in files}
    n = {name: _site_file(path, site[name]) for name, path in files.items()}
    hair = site["hair_counts"]
    result = {"rows": n["hair_counts"]}

    start = time.perf_counter()
    con = duckdb.connect(str(out / "read.duckdb"))
    con.execute(f"CREATE TABLE hc AS SELECT * FROM read_csv('{hair}')")
    result["duckdb_read"] = time.perf_counter() - start
    # the same into a table with the study table's key (what any loader of the study pays for it)
    con.execute("CREATE TABLE keyed AS SELECT * FROM hc LIMIT 0")
    con.execute("ALTER TABLE keyed ADD PRIMARY KEY (subject_id, visit, region)")
    start = time.perf_counter()
    con.execute(f"INSERT INTO keyed SELECT * FROM read_csv('{hair}')")
    result["duckdb_keyed"] = time.perf_counter() - start
    con.close()

    name = f"ingest{rows}_{run}"
    with Store.create(out / "embedded.duckdb", builtin_study_text("demo"), user="bench") as store:
        _team(store, {"sam": (["SITE_STAFF"], "S01")})
        owner, roles = server_twin(cluster, name, store, PASSWORD)  # the same accounts, before any row
        sam = _account(store, "sam")
        for domain in ("subjects", "randomization"):
            _loaded(upload_path(store, site[domain], domain=domain, user="sam", scope=sam))
        start = time.perf_counter()
        _loaded(upload_path(store, hair, domain="hair_counts", user="sam", scope=sam), n["hair_counts"])
        result["embedded_load"] = time.perf_counter() - start

    with psycopg.connect(owner) as pg:
        pg.execute("CREATE TABLE bench_copy (LIKE hair_counts)")
        pg.execute("ALTER TABLE bench_copy DROP COLUMN upload_id, DROP COLUMN source_line")
        result["pg_copy"] = _copy_time(pg, "bench_copy", hair)
        pg.execute("CREATE TABLE bench_keyed (LIKE bench_copy)")
        pg.execute("CREATE UNIQUE INDEX ON bench_keyed (subject_id, visit, region)")
        pg.commit()
        result["pg_keyed"] = _copy_time(pg, "bench_keyed", hair)
    url = cluster.url(roles["sam"], PASSWORD, name)
    with ServerStore.open(url) as server:
        scope = _account(server, roles["sam"])
        for domain in ("subjects", "randomization"):
            _loaded(upload_path(server, site[domain], domain=domain, user=roles["sam"], scope=scope))
    start = time.perf_counter()
    with ServerStore.open(url) as server:
        result["pg_open"] = time.perf_counter() - start
        scope = _account(server, roles["sam"])
        start = time.perf_counter()
        _loaded(upload_path(server, hair, domain="hair_counts", user=roles["sam"], scope=scope), n["hair_counts"])
        result["pg_load"] = time.perf_counter() - start
    return result


def _copy_time(pg, table: str, csv_file: Path) -> float:
    """Seconds to COPY ``csv_file`` into ``table`` and commit."""
    start = time.perf_counter()
    with pg.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER)") as copy, csv_file.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            copy.write(chunk)
    pg.commit()
    return time.perf_counter() - start


def _account(store, name: str):
    from trial.governance.access import UploadScope
    from trial.governance.users import account

    return UploadScope.of(account(store, name))


def _loaded(result, rows: int | None = None) -> None:
    if result.status != "loaded" or (rows is not None and result.inserted != rows):
        raise SystemExit(f"{result.file_name}: {result.status}, {result.inserted} rows: {[f.sentence for f in result.findings][:5]}")


def ard(cluster, subjects: int, out: Path) -> dict:
    from postgres import server_twin
    from tables import prepare

    from trial.analysis.ard import compute_ard
    from trial.store import Store
    from trial.store.server import ServerStore

    db = prepare(subjects, out)
    result = {}
    with Store.open(db) as store:
        _team(store, {"stat": (["STATISTICIAN"], None)})
        owner, roles = server_twin(cluster, f"ard{subjects}", store, PASSWORD)
        compute_ard(store)
        start = time.perf_counter()
        frame = compute_ard(store)
        result["embedded"], result["ard_rows"] = time.perf_counter() - start, len(frame)
    start = time.perf_counter()
    with ServerStore.open(cluster.url(roles["stat"], PASSWORD, f"ard{subjects}")) as server:
        result["pg_open"] = time.perf_counter() - start
        start = time.perf_counter()
        compute_ard(server)
        result["pg_first"] = time.perf_counter() - start
        start = time.perf_counter()
        compute_ard(server)
        result["pg_again"] = time.perf_counter() - start
    result["where"] = {"duckdb": str(db), "postgresql": owner}
    result["stat"] = {"duckdb": "stat", "postgresql": roles["stat"]}
    return result


PAGES = ["views/subject.py", "views/overview.py", "views/tolerability.py", "views/efficacy.py", "views/assessments.py",
         "views/reports.py", "views/admin.py"]
_PAGES_CHILD = """
import json, sys, time
from streamlit.testing.v1 import AppTest
app, token, pages = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
at = AppTest.from_file(app, default_timeout=600)
at.session_state["session_token"] = token
at.run()
times = {}
for page in pages:
    runs = []
    for _ in range(2):
        t = time.perf_counter(); at.switch_page(page); at.run(); runs.append(time.perf_counter() - t)
        if at.exception:
            sys.exit(f"{page}: {at.exception[0].message}")
    times[page] = runs
print(json.dumps(times))
"""


def pages(where: dict, stat: dict) -> dict:
    """Each page's first and second visit on each engine, signed in as the statistician: engine → page → [s, s]."""
    import json
    import os

    from trial.governance.users import sign_in, start_session
    from trial.store import Store
    from trial.store.server import ServerStore

    result = {}
    for engine, location in where.items():
        with (Store.open(location) if engine == "duckdb" else ServerStore.for_sign_in(location)) as store:
            token = start_session(store, sign_in(store, stat[engine], PASSWORD))
        done = subprocess.run([sys.executable, "-c", _PAGES_CHILD, str(ROOT / "dashboards" / "app.py"), token, json.dumps(PAGES)],
                              capture_output=True, text=True, env={**os.environ, "TRIAL_DB": location}, check=False)
        if done.returncode:
            raise SystemExit(f"the app failed on {engine}: {done.stderr[-2000:]}")
        result[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def uploads_per_minute(cluster, out: Path) -> float:
    from helpers import hair_count_file, study_files
    from postgres import server_twin

    from trial.store import Store
    from trial.study import builtin_study_text

    with Store.create(out / "empty.duckdb", builtin_study_text("demo"), user="bench") as empty:
        _team(empty, {"sam": (["SITE_STAFF"], "S01")})
        _, roles = server_twin(cluster, "perminute", empty, PASSWORD)
    url = cluster.url(roles["sam"], PASSWORD, "perminute")
    trial = [sys.executable, "-m", "trial.cli", "load"]
    for kind, data in zip(("subjects", "randomization"), study_files(LOADERS * FILES_EACH), strict=True):
        (out / f"{kind}.csv").write_bytes(data)
    subprocess.run([*trial, str(out / "subjects.csv"), str(out / "randomization.csv"), "--db", url], check=True,
                   capture_output=True)
    batches = []
    for loader in range(LOADERS):
        paths = []
        for j in range(FILES_EACH):
            number = loader * FILES_EACH + j + 1
            paths.append(out / f"h{number:03d}.csv")
            paths[-1].write_bytes(hair_count_file([f"S01-{number:04d}"]))
        batches.append(paths)
    start = time.perf_counter()
    loaders = [subprocess.Popen([*trial, *map(str, paths), "--db", url], stdout=subprocess.DEVNULL) for paths in batches]
    if any(p.wait() for p in loaders):
        raise SystemExit("a loader failed")
    return LOADERS * FILES_EACH / ((time.perf_counter() - start) / 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="hair_counts rows generated (S01 holds about a quarter)")
    parser.add_argument("--subjects", default="10000")
    parser.add_argument("--repeat", type=int, default=1, help="ingest runs at each size (their median is shown)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "engines")
    args = parser.parse_args()
    from postgres import Cluster

    shutil.rmtree(args.out, ignore_errors=True)
    cluster = Cluster.start()
    try:
        print("ingest: one site's hair_counts file")
        print("(ratio: the load against the engine's bare bulk load; keyed: the bulk load into a table with the study "
              "table's unique key, and the load against that)")
        print(f"{'rows':>9} | {'DuckDB read_csv s':>17} | {'keyed s':>7} | {'embedded load s':>15} | {'ratio':>5} | "
              f"{'keyed':>5} | {'PG COPY s':>9} | {'keyed s':>7} | {'PG open s':>9} | {'PG load s':>9} | {'ratio':>5} | {'keyed':>5}")
        for rows in (int(r) for r in args.rows.split(",")):
            runs = [ingest(cluster, rows, args.out / f"ingest{rows}" / str(run), run) for run in range(1, args.repeat + 1)]
            r = {key: statistics.median(one[key] for one in runs) for key in runs[0]}
            print(f"{r['rows']:>9,} | {r['duckdb_read']:>17.2f} | {r['duckdb_keyed']:>7.2f} | {r['embedded_load']:>15.2f} | "
                  f"{r['embedded_load'] / r['duckdb_read']:>5.1f} | {r['embedded_load'] / r['duckdb_keyed']:>5.1f} | "
                  f"{r['pg_copy']:>9.2f} | {r['pg_keyed']:>7.2f} | {r['pg_open']:>9.2f} | {r['pg_load']:>9.2f} | "
                  f"{r['pg_load'] / r['pg_copy']:>5.1f} | {r['pg_load'] / r['pg_keyed']:>5.1f}")
            if args.repeat > 1:
                spread = {key: (min(one[key] for one in runs), max(one[key] for one in runs))
                          for key in ("duckdb_read", "embedded_load", "pg_copy", "pg_load")}
                print(f"{'':>9}   medians of {args.repeat} runs; fastest-slowest: " + ", ".join(
                    f"{key} {low:.2f}-{high:.2f} s" for key, (low, high) in spread.items()))
        print("\nthe ARD (the statistician's)")
        print(f"{'subjects':>9} | {'ARD rows':>8} | {'embedded s':>10} | {'PG open (copy) s':>16} | {'PG first s':>10} | "
              f"{'PG again s':>10} | {'ratio again':>11}")
        for subjects in (int(s) for s in args.subjects.split(",")):
            r = ard(cluster, subjects, args.out / f"ard{subjects}")
            print(f"{subjects:>9,} | {r['ard_rows']:>8,} | {r['embedded']:>10.2f} | {r['pg_open']:>16.2f} | "
                  f"{r['pg_first']:>10.2f} | {r['pg_again']:>10.2f} | {r['pg_again'] / r['embedded']:>11.2f}")
            timed = pages(r["where"], r["stat"])
            print(f"\neach page at {subjects:,} subjects, as the statistician (server time)")
            print(f"{'page':<13} | {'embedded first s':>16} | {'PG first s':>10} | {'embedded again s':>16} | {'PG again s':>10}")
            for page in PAGES:
                (e1, e2), (p1, p2) = timed["duckdb"][page], timed["postgresql"][page]
                print(f"{Path(page).stem:<13} | {e1:>16.2f} | {p1:>10.2f} | {e2:>16.2f} | {p2:>10.2f}")
        folder = args.out / "per-minute"
        folder.mkdir(parents=True)
        print(f"\nuploads per minute, {LOADERS} loader processes x {FILES_EACH} files, PostgreSQL: "
              f"{uploads_per_minute(cluster, folder):.0f}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
