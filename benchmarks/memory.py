"""Benchmark: time and peak memory of `trial load` on the worst files one can send, by size.

Each kind of file is written at each size (bytes, up to the upload limit), then loaded with the real
command, ``trial load FILE --domain D --format json``, in a fresh process into a copy of a prepared
demo-study database (subjects and randomizations already in). Peak memory is that child's maximum
resident set size (its own VmHWM, read as it exits), so it includes the interpreter, its imports
and DuckDB. The kinds:

  widest_valid      adverse_events (the domain with most columns), every cell filled, every row loads
  every_cell_error  hair_counts, every cell a different wrong value (numbers, dates and codes)
  one_row_errors    global_assessments, short rows of subjects the study does not have (one SQL
                    edit-check error per row)
  one_huge_cell     adverse_events, one row whose term is the whole file
  long_lines        adverse_events, rows of about 1 MiB each (a long term), every row loads
  many_short_rows   randomization rows of 6 short cells, all valid (the most rows per byte that load)
  only_commas       a hair_counts header, then lines of commas only (rows of empty cells)
  quoted_multiline  adverse_events whose terms hold quoted line breaks (the exact, line-counting reader)
  trailing_values   procedures rows with values in 3 unnamed trailing columns (a finding per cell)
  wide_header       procedures with 10,000 extra (unnamed) columns in the header and every row

The script asserts nothing about time or memory; it prints a table (kind x size -> seconds, peak
MiB, outcome, findings listed) and says which runs stayed under the 1.5 GiB target.

    .venv/bin/python benchmarks/memory.py [--sizes 16,64,128,256] [--kinds every_cell_error,…] [--out DIR]

Sizes are MiB. Files and databases go under --out (default benchmarks/out/memory/, git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SIZES = (16, 64, 128)  # MiB: up to the default upload limit (256 shows why it is not higher)
DEFAULT_OUT = ROOT / "benchmarks" / "out" / "memory"
TARGET_MIB = 1.5 * 1024
USER = "benchmark"
SUBJECTS = 2_000  # in the prepared database: S01-0001 … S01-2000, all randomized
CHUNK = 4 * 2**20

AE_HEADER = "site_id,subject_id,ae_seq,term,pt,soc,onset_date,resolution_date,severity,serious,relationship,suspected_cause,action_taken,outcome"
AE_TAIL = "Pruritus,Skin and subcutaneous tissue disorders,2024-02-08,,MILD,N,POSSIBLE,MINOXIDIL,NONE,RECOVERING"
HC_HEADER = "site_id,subject_id,visit,assessment_date,region,area_cm2,hair_count,terminal_count,vellus_count,shaft_diameter_um,evaluator_id"
GA_HEADER = "site_id,subject_id,visit,assessment_date,assessor,score"
RAND_HEADER = "site_id,subject_id,randomization_date,arm,randomization_number,stratum"
PROC_HEADER = "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding"


# --------------------------------------------------------------------------- files
def _subject(n: int) -> str:
    return f"S01-{n % SUBJECTS + 1:04d}"


def _ae_rows(term: Callable[[int], str]) -> Iterator[str]:
    """Valid adverse events, spread over the prepared subjects (ae_seq numbers each subject's)."""
    i = 0
    while True:
        yield f"S01,{_subject(i)},{i // SUBJECTS + 1},{term(i)},{AE_TAIL}"
        i += 1


def _every_cell_error() -> Iterator[str]:
    i = 0
    while True:
        yield f"x{i},y{i},V{i},{i}/{i % 12 + 1}/2024,R{i},{i},{i}.5,#N/A,-{i},{i},E{i}"
        i += 1


def _unknown_subjects() -> Iterator[str]:
    i = 0
    while True:
        yield f"S01,S01-{i % 10**7 + 100_000:07d},BASELINE,2024-01-09,INVESTIGATOR,2"
        i += 1


def _randomizations() -> Iterator[str]:
    i = 0
    while True:  # keys must be unique: new subjects (the file is rejected for them, after all checks)
        yield f"S01,S01-{i:08d},2024-01-10,MINOX,,"
        i += 1


def _repeat(line: str) -> Iterator[str]:
    while True:
        yield line


def _multiline() -> Iterator[str]:
    return _ae_rows(lambda i: f'"itchy scalp\nafter session {i}"')


def _trailing() -> Iterator[str]:
    i = 0
    while True:
        yield f"S01,{_subject(i)},2024-02-{i % 28 + 1:02d},ROLLER,1.5,12,3,Y,a{i},b{i},c{i}"
        i += 1


def _wide() -> Iterator[str]:
    tail = ",x" * 10_000
    i = 0
    while True:
        yield f"S01,{_subject(i)},2024-02-{i % 28 + 1:02d},ROLLER,1.5,12,3,Y{tail}"
        i += 1


KINDS: dict[str, tuple[str, str, Callable[[], Iterator[str]]]] = {  # kind → domain, header, rows
    "widest_valid": ("adverse_events", AE_HEADER, lambda: _ae_rows(lambda i: f"itchy scalp {i}")),
    "every_cell_error": ("hair_counts", HC_HEADER, _every_cell_error),
    "one_row_errors": ("global_assessments", GA_HEADER, _unknown_subjects),
    "one_huge_cell": ("adverse_events", AE_HEADER, None),
    "long_lines": ("adverse_events", AE_HEADER, lambda: _ae_rows(lambda i: f"{i} " + "itchy " * 174_762)),
    "many_short_rows": ("randomization", RAND_HEADER, _randomizations),
    "only_commas": ("hair_counts", HC_HEADER, lambda: _repeat(",,,,,,,,,,")),
    "quoted_multiline": ("adverse_events", AE_HEADER, _multiline),
    "trailing_values": ("procedures", PROC_HEADER + ",,,", _trailing),
    "wide_header": ("procedures", PROC_HEADER + "," * 10_000, _wide),
}


def write_file(kind: str, size: int, path: Path) -> None:
    """``path``: a file of ``kind`` of at most ``size`` bytes (whole lines only)."""
    _, header, rows = KINDS[kind]
    with path.open("wb") as out:
        written = out.write(f"{header}\n".encode())
        if rows is None:  # one_huge_cell
            head = f"S01,{_subject(0)},1,".encode()
            tail = f",{AE_TAIL}\n".encode()
            room = size - written - len(head) - len(tail)
            out.write(head)
            while room > 0:
                part = min(room, CHUNK)
                out.write(b"a" * part)
                room -= part
            out.write(tail)
            return
        lines = rows()
        while True:
            block = []
            block_size = 0
            while block_size < CHUNK:
                line = next(lines) + "\n"
                block.append(line)
                block_size += len(line)
            data = "".join(block).encode()
            if written + len(data) > size:
                for line in block:  # the last lines that fit
                    encoded = line.encode()
                    if written + len(encoded) > size:
                        return
                    written += out.write(encoded)
                return
            written += out.write(data)


# --------------------------------------------------------------------------- databases
def prepare_db(path: Path) -> Path:
    """A demo-study database with SUBJECTS screened and randomized subjects at S01."""
    from trial.ingest.upload import upload_bytes
    from trial.store import Store
    from trial.study import builtin_study_text

    if path.exists():
        return path
    ids = [f"S01-{n:04d}" for n in range(1, SUBJECTS + 1)]
    subjects = "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible\n" + \
        "".join(f"S01,{s},2024-01-02,2024-01-03,30,M,AGA,NORWOOD,III,IV,Y\n" for s in ids)
    randomization = f"{RAND_HEADER}\n" + "".join(f"S01,{s},2024-01-10,{('MINOX', 'MINOX_MN')[i % 2]},," "\n" for i, s in enumerate(ids))
    with Store.create(path, builtin_study_text("demo"), user=USER) as store:
        for name, text in (("subjects", subjects), ("randomization", randomization)):
            result = upload_bytes(store, text.encode(), f"{name}.csv", domain=name, user=USER)
            if result.status != "loaded":
                raise SystemExit(f"preparing {path}: {name} was {result.status}: {[f.sentence for f in result.findings[:5]]}")
    return path


# --------------------------------------------------------------------------- one run
# The child reports its own peak (VmHWM of the process after exec): the rusage of a child counts
# the parent's high-water mark at fork time too, which would hide a smaller peak.
PEAK_SCRIPT = """  # also run by tests/integration/test_bounded_work.py
import atexit, runpy, sys
peak_file = sys.argv.pop(1)

def report():
    with open('/proc/self/status') as status:
        kib = next(line for line in status if line.startswith('VmHWM')).split()[1]
    with open(peak_file, 'w') as out:
        out.write(kib)

atexit.register(report)
sys.argv[0] = 'trial'
runpy.run_module('trial.cli', run_name='__main__', alter_sys=True)
"""


def run_load(csv: Path, domain: str, db: Path, limit_mib: int, timeout: float) -> dict:
    """The real command (of this checkout) in a child process: wall time, the child's peak RSS, its outcome."""
    peak_file = csv.parent / "peak_kib"
    command = [sys.executable, "-c", PEAK_SCRIPT, str(peak_file), "load", str(csv), "--domain", domain, "--db", str(db),
               "--user", USER, "--format", "json"]
    env = os.environ | {"TRIAL_UPLOAD_LIMIT_MB": str(limit_mib), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with (csv.parent / "stdout.json").open("wb") as stdout, (csv.parent / "stderr.txt").open("wb") as stderr:
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=ROOT)
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
    seconds = time.perf_counter() - started
    peak = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("nan")
    answer = {"seconds": seconds, "peak_mib": peak, "exit": code, "status": "?", "findings": 0, "note": ""}
    if seconds > timeout:
        answer["note"] = f"stopped after {timeout:.0f} s"
        return answer
    try:
        (result,) = json.loads((csv.parent / "stdout.json").read_text())
        answer.update(status=result["status"], findings=len(result["findings"]), errors=result["errors"])
        listed = [f for f in result["findings"] if f["rule"] == "not_listed"]
        if listed:
            answer["note"] = f"{len(listed)} 'not listed' summaries"
        elif result["findings"]:
            answer["note"] = result["findings"][0]["sentence"][:60]
    except (ValueError, KeyError):
        answer["note"] = (csv.parent / "stderr.txt").read_text()[-120:].strip().replace("\n", " ")
    return answer


def measure(kind: str, size_mib: int, out: Path, prepared: Path, limit_mib: int, timeout: float) -> dict:
    folder = out / f"{kind}_{size_mib}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    csv = folder / f"{kind}.csv"
    print(f"[{kind} {size_mib} MiB] writing …", file=sys.stderr, flush=True)
    write_file(kind, size_mib * 2**20, csv)
    db = folder / "study.duckdb"
    shutil.copyfile(prepared, db)
    print(f"[{kind} {size_mib} MiB] loading …", file=sys.stderr, flush=True)
    result = run_load(csv, KINDS[kind][0], db, limit_mib, timeout)
    result |= {"kind": kind, "size_mib": size_mib, "file_mib": csv.stat().st_size / 2**20}
    print(f"[{kind} {size_mib} MiB] {result['seconds']:.1f} s, peak {result['peak_mib']:.0f} MiB, exit {result['exit']}, "
          f"{result['status']}, {result['findings']:,} findings listed {result['note']}", file=sys.stderr, flush=True)
    shutil.rmtree(folder, ignore_errors=True)  # the next run needs the disk
    return result


# --------------------------------------------------------------------------- report
COLUMNS = (("kind", "{}"), ("file MiB", "{:.0f}"), ("seconds", "{:.1f}"), ("peak MiB", "{:.0f}"),
           ("exit", "{}"), ("status", "{}"), ("listed", "{:,}"), ("errors", "{:,}"), ("note", "{}"))


def print_table(results: list[dict]) -> None:
    lines = [[heading for heading, _ in COLUMNS]]
    for r in results:
        values = (r["kind"], r["file_mib"], r["seconds"], r["peak_mib"], r["exit"], r["status"], r["findings"],
                  r.get("errors", 0), r["note"])
        lines.append([fmt.format(v) for (_, fmt), v in zip(COLUMNS, values, strict=True)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    for line in lines:
        print(" | ".join(cell.ljust(width) if i in (0, 5, 8) else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(line, widths, strict=True))).rstrip())


def main(argv: list[str] | None = None) -> None:
    from trial.settings import DEFAULT_UPLOAD_LIMIT_MB

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="file sizes in MiB, comma-separated")
    parser.add_argument("--kinds", default=",".join(KINDS), help="kinds of file, comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where files and databases go")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a load may take before it is stopped")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"--kinds: {', '.join(sorted(unknown))} not known; choose from {', '.join(KINDS)}")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    prepared = prepare_db(out / "prepared.duckdb")
    limit = max(max(sizes), DEFAULT_UPLOAD_LIMIT_MB)
    started = dt.datetime.now()
    results = [measure(kind, size, out, prepared, limit, args.timeout) for kind in kinds for size in sizes]
    print(f"\ntrial load memory benchmark, {started:%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, "
          f"upload limit {DEFAULT_UPLOAD_LIMIT_MB} MiB by default\n")
    print_table(results)
    worst = max(results, key=lambda r: r["peak_mib"])
    over = [r for r in results if r["peak_mib"] >= TARGET_MIB]
    print(f"\nHighest peak: {worst['peak_mib']:.0f} MiB ({worst['kind']}, {worst['file_mib']:.0f} MiB file); "
          f"target < {TARGET_MIB:.0f} MiB: " + ("met by every run." if not over else
                                              "NOT met by " + ", ".join(f"{r['kind']} {r['size_mib']}" for r in over) + "."))


if __name__ == "__main__":
    main()
