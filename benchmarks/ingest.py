"""Benchmark: loading a site's hair_counts CSV with `trial load`, against DuckDB's own CSV reader.

For each size (rows of hair_counts), the script generates a valid demo-study dataset with a seeded
numpy generator (subjects, randomization, and 20 hair_counts rows per subject: 5 visits x 4
regions, every assessment inside its visit window; ``ingest_files.py`` writes them), then measures,
each in a fresh subprocess so that peak memory belongs to that one measurement:

  (a) DuckDB alone: ``CREATE TABLE hc AS SELECT * FROM read_csv('<file>')`` into a new on-disk
      database file: wall time of that statement and the child's peak RSS;
  (b) the library load: ``trial.ingest.upload.upload_path`` of the same file into a database created for
      the demo study that already holds the subjects and randomization: wall time of that call only
      (reading, typing, pandera, edit checks, the write and its commit), the child's peak RSS, and
      the time at which each progress stage began;
  (c) the real ``trial load`` command as a subprocess into a copy of the same prepared database:
      wall time including interpreter start-up and imports.

Every load must come back "loaded" with no errors and every row inserted, or the script stops.
Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in the child, so it includes the
interpreter and its imports (the RSS just before the timed step is shown too).

Closing each database (DuckDB's checkpoint) is timed apart and shown under the stage breakdown.
With --profile, the largest library load runs once more under cProfile (top 30 by cumulative and by
own time). Absolute times move with the machine's load; the library/DuckDB ratio is the steadier figure.

Targets (from the issue), at 1M rows: the library load within 3x of DuckDB's raw read, and peak
memory under 1.5 GiB. The script reports against them; it asserts nothing about timings.

    .venv/bin/python benchmarks/ingest.py [--sizes 10000,100000,1000000] [--out DIR] [--profile]

Generated files and databases go under --out (default benchmarks/out/, git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingest_files import generate

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_OUT = ROOT / "benchmarks" / "out"
USER = "benchmark"
TARGET_RATIO, TARGET_RSS_MIB = 3.0, 1.5 * 1024


# --------------------------------------------------------------------------- databases
def _fresh(path: Path) -> Path:
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    return path


def _require_loaded(result, expected_rows: int | None = None) -> None:
    """Stop loudly unless the upload loaded cleanly (and, when given, inserted every row)."""
    problems = []
    if result.status != "loaded":
        problems.append(f"status {result.status!r}")
    if result.errors:
        problems.append(f"{len(result.errors)} error(s)")
    if expected_rows is not None and result.inserted != expected_rows:
        problems.append(f"{result.inserted} of {expected_rows} rows inserted")
    if problems:
        shown = "\n  ".join(f.sentence for f in result.findings[:20])
        raise SystemExit(f"{result.file_name}: {', '.join(problems)}; first findings:\n  {shown}")


def prepare_study_db(path: Path, files: dict[str, Path]) -> None:
    """A demo-study database holding the subjects and randomization, closed (no WAL left)."""
    from trial.ingest.upload import upload_path
    from trial.store import Store
    from trial.study import builtin_study_text

    with Store.create(_fresh(path), builtin_study_text("demo"), user=USER) as store:
        for domain in ("subjects", "randomization"):
            _require_loaded(upload_path(store, files[domain], domain=domain, user=USER))


# --------------------------------------------------------------------------- children
def _rss_mib() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_duckdb(csv: Path, db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(_fresh(db)))
    before = _rss_mib()
    start = time.perf_counter()
    con.execute(f"CREATE TABLE hc AS SELECT * FROM read_csv('{csv}')")
    seconds = time.perf_counter() - start
    rows = con.execute("SELECT count(*) FROM hc").fetchone()[0]
    closing = time.perf_counter()
    con.close()
    return {
        "seconds": seconds,
        "close_seconds": time.perf_counter() - closing,
        "rows": rows,
        "rss_before_mib": before,
        "peak_rss_mib": _peak_rss_mib(),
    }


def child_library(csv: Path, db: Path, expected_rows: int, profile_to: str | None = None) -> dict:
    from trial.ingest.upload import upload_path
    from trial.store import Store

    stages: list[tuple[str, float]] = []
    store = Store.open(db)
    try:
        _ = store.study  # parsed once, as in a running service; not part of the load
        before = _rss_mib()
        start = time.perf_counter()

        def load():
            return upload_path(
                store, csv, domain="hair_counts", user=USER,
                progress=lambda stage: stages.append((stage, time.perf_counter() - start)),
            )

        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(load)
            profiler.dump_stats(profile_to)
        else:
            result = load()
        seconds = time.perf_counter() - start
    finally:
        closing = time.perf_counter()
        store.close()  # DuckDB checkpoints the WAL here: the CLI pays it, the timed load does not
    _require_loaded(result, expected_rows)
    return {
        "seconds": seconds,
        "close_seconds": time.perf_counter() - closing,
        "stages": stages,
        "warnings": len(result.warnings),
        "rss_before_mib": before,
        "peak_rss_mib": _peak_rss_mib(),
    }


def run_child(kind: str, *args: str) -> dict:
    """Run this script as ``--child KIND ARGS…`` in a fresh interpreter; its JSON line is the answer."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"child {kind} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_load(csv: Path, db: Path, expected_rows: int) -> float:
    """Wall time of the real `trial load` command, start-up included."""
    trial = Path(sys.executable).with_name("trial")
    command = [str(trial), "load", "--db", str(db), "--domain", "hair_counts", "--user", USER, "--format", "json", str(csv)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    (result,) = json.loads(done.stdout)
    if result["status"] != "loaded" or result["errors"] or result["inserted"] != expected_rows:
        raise SystemExit(f"`trial load` did not load cleanly: {json.dumps({k: v for k, v in result.items() if k != 'findings'})}")
    return seconds


# --------------------------------------------------------------------------- one size
def measure(rows: int, out: Path) -> dict:
    folder = out / f"rows_{rows}"
    print(f"[{rows:,} rows] generating …", file=sys.stderr, flush=True)
    files = generate(rows, folder)
    hc = files["hair_counts"]
    print(f"[{rows:,} rows] DuckDB read_csv …", file=sys.stderr, flush=True)
    raw = run_child("duckdb", str(hc), str(folder / "duckdb_raw.duckdb"))
    if raw["rows"] != rows:
        raise SystemExit(f"DuckDB read {raw['rows']} rows of {hc}, expected {rows}")
    print(f"[{rows:,} rows] trial load (library) …", file=sys.stderr, flush=True)
    prepared = folder / "prepared.duckdb"
    prepare_study_db(prepared, files)
    lib_db, cli_db = folder / "trial_library.duckdb", folder / "trial_cli.duckdb"
    shutil.copyfile(prepared, _fresh(lib_db))
    library = run_child("library", str(hc), str(lib_db), str(rows))
    print(f"[{rows:,} rows] trial load (CLI) …", file=sys.stderr, flush=True)
    shutil.copyfile(prepared, _fresh(cli_db))
    cli_seconds = cli_load(hc, cli_db, rows)
    return {
        "rows": rows,
        "file_mb": hc.stat().st_size / 1e6,
        "duckdb": raw,
        "library": library,
        "cli_seconds": cli_seconds,
        "folder": folder,
        "prepared": prepared,
    }


# --------------------------------------------------------------------------- report
COLUMNS = (  # heading, format of the value
    ("rows", "{:,}"),
    ("file MB", "{:.1f}"),
    ("duckdb read_csv s", "{:.3f}"),
    ("trial load s (lib)", "{:.3f}"),
    ("trial load s (CLI)", "{:.3f}"),
    ("ratio lib/duckdb", "{:.1f}x"),
    ("peak RSS a MiB", "{:.0f}"),
    ("peak RSS b MiB", "{:.0f}"),
    ("b RSS pre-load MiB", "{:.0f}"),
    ("warnings", "{:,}"),
)


def print_table(results: list[dict]) -> None:
    lines = [[heading for heading, _ in COLUMNS]]
    for r in results:
        values = (
            r["rows"], r["file_mb"], r["duckdb"]["seconds"], r["library"]["seconds"], r["cli_seconds"],
            r["library"]["seconds"] / r["duckdb"]["seconds"], r["duckdb"]["peak_rss_mib"],
            r["library"]["peak_rss_mib"], r["library"]["rss_before_mib"], r["library"]["warnings"],
        )
        lines.append([fmt.format(v) for (_, fmt), v in zip(COLUMNS, values, strict=True)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    for line in lines:
        print(" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


def print_stages(r: dict) -> None:
    """Each stage's share of the library load, from the progress callback's timestamps."""
    stages = [("(before 'reading': file read, sha256, already-loaded check)", 0.0), *r["library"]["stages"]]
    total = r["library"]["seconds"]
    print(f"\nStages of the library load, {r['rows']:,} rows ({total:.3f} s):")
    for (name, began), (_, ended) in zip(stages, [*stages[1:], ("end", total)], strict=True):
        print(f"  {name:<60} {ended - began:>8.3f} s  {100 * (ended - began) / total:>5.1f} %")
    print(
        f"  not in the timed load: closing the store (checkpoint) {r['library']['close_seconds']:.3f} s; "
        f"closing DuckDB's own database after read_csv {r['duckdb']['close_seconds']:.3f} s"
    )


def print_targets(r: dict) -> None:
    ratio = r["library"]["seconds"] / r["duckdb"]["seconds"]
    peak = r["library"]["peak_rss_mib"]
    print(
        f"\nTargets at {r['rows']:,} rows: library/duckdb {ratio:.1f}x (target <= {TARGET_RATIO:.0f}x: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); peak RSS {peak:.0f} MiB "
        f"(target < {TARGET_RSS_MIB:.0f} MiB: {'met' if peak < TARGET_RSS_MIB else 'NOT met'})"
    )


def profile(r: dict) -> None:
    """cProfile the library load once more (slower than the timed run), top 30 both ways."""
    import pstats

    db = r["folder"] / "trial_profile.duckdb"
    shutil.copyfile(r["prepared"], _fresh(db))
    stats_file = r["folder"] / "library_load.prof"
    run_child("library", str(r["folder"] / "hair_counts.csv"), str(db), str(r["rows"]), str(stats_file))
    for order in ("cumulative", "tottime"):
        print(f"\ncProfile of the library load, {r['rows']:,} rows, top 30 by {order} ({stats_file}):")
        pstats.Stats(str(stats_file), stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(30)


# --------------------------------------------------------------------------- entry
def _sizes(text: str) -> list[int]:
    try:
        return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of row counts") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="hair_counts rows, comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where data and databases go")
    parser.add_argument("--profile", action="store_true", help="also cProfile the largest library load")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "duckdb":
            answer = child_duckdb(Path(rest[0]), Path(rest[1]))
        else:
            answer = child_library(Path(rest[0]), Path(rest[1]), int(rest[2]), rest[3] if len(rest) > 3 else None)
        print(json.dumps(answer))
        return
    started = dt.datetime.now()
    results = [measure(rows, args.out.resolve()) for rows in args.sizes]
    print(f"\ntrial load benchmark, {started:%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs; data in {args.out}\n")
    print_table(results)
    largest = max(results, key=lambda r: r["rows"])
    print_stages(largest)
    print_targets(largest)
    if args.profile:
        profile(largest)


if __name__ == "__main__":
    main()
