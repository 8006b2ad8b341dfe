"""Many processes at one PostgreSQL study: eight loaders of 25 files each while a reader reads, and a
loader killed mid-write fifty times. Nothing refused, lost, doubled or half-written; the chain intact."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import psycopg
from helpers import TEAM_PASSWORD, hair_count_file, study_files
from postgres import server_twin

from trial.governance.users import add_user
from trial.store import Store
from trial.store.audit import problems_in_chain
from trial.store.postgres import chain_head, chain_rows
from trial.study import builtin_study_text

LOADERS, FILES_EACH = 8, 25
TRIAL = [sys.executable, "-m", "trial.cli"]


def _study(cluster, folder, name: str, subjects: int) -> tuple[str, str]:
    """A PostgreSQL study with ``subjects`` subjects at S01, randomized, loaded by its site staff
    account ``sam``; (sam's URL, the owner's URL)."""
    with Store.create(folder / "empty.duckdb", builtin_study_text("demo"), user="setup") as empty:
        add_user(empty, "sam", TEAM_PASSWORD, ["SITE_STAFF"], site_id="S01", by="setup")
        owner, roles = server_twin(cluster, name, empty, TEAM_PASSWORD)
    url = cluster.url(roles["sam"], TEAM_PASSWORD, name)
    for kind, data in zip(("subjects", "randomization"), study_files(subjects), strict=True):
        (folder / f"{kind}.csv").write_bytes(data)
    done = subprocess.run([*TRIAL, "load", str(folder / "subjects.csv"), str(folder / "randomization.csv"), "--db", url],
                          capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return url, owner


def _env() -> dict[str, str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return dict(os.environ, PYTHONPATH=root)


def _chain_intact(owner_url: str) -> None:
    with psycopg.connect(owner_url) as owner:
        assert not list(problems_in_chain(chain_rows(owner), *chain_head(owner)))


def test_eight_processes_load_twenty_five_files_each_while_another_reads(pg_cluster, tmp_path):
    url, owner_url = _study(pg_cluster, tmp_path, "many", LOADERS * FILES_EACH)
    batches = []
    for loader in range(LOADERS):
        paths = []
        for j in range(FILES_EACH):
            n = loader * FILES_EACH + j + 1
            path = tmp_path / f"loader{loader}" / f"hair_{n:04d}.csv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(hair_count_file([f"S01-{n:04d}"]))
            paths.append(str(path))
        batches.append(paths)
    reader = subprocess.Popen([sys.executable, "-c", _READER, url, str(LOADERS * FILES_EACH + 2)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env())
    loaders = [subprocess.Popen([*TRIAL, "load", *paths, "--format", "json", "--db", url], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env()) for paths in batches]
    outputs = [p.communicate(timeout=900) for p in loaders]
    assert [p.returncode for p in loaders] == [0] * LOADERS, [err[-2000:] for _, err in outputs]
    results = [r for out, _ in outputs for r in json.loads(out)]
    assert [r["status"] for r in results] == ["loaded"] * (LOADERS * FILES_EACH)
    reads, err = reader.communicate(timeout=900)
    assert reader.returncode == 0, err[-2000:]
    assert int(reads) > 0  # the reader read the study while the loaders wrote it, and never failed
    with psycopg.connect(owner_url) as owner:
        uploads = owner.execute("SELECT count(*), count(DISTINCT sha256), sum(rows_inserted) FROM uploads "
                                "WHERE domain = 'hair_counts'").fetchone()
        assert uploads == (LOADERS * FILES_EACH, LOADERS * FILES_EACH, LOADERS * FILES_EACH * 4)
        rows = owner.execute("SELECT count(*), count(DISTINCT (subject_id, visit, region)), count(DISTINCT upload_id) "
                             "FROM hair_counts").fetchone()
        assert rows == (LOADERS * FILES_EACH * 4, LOADERS * FILES_EACH * 4, LOADERS * FILES_EACH)
        ids = [r[0] for r in owner.execute("SELECT upload_id FROM uploads ORDER BY upload_id")]
        assert ids == list(range(1, LOADERS * FILES_EACH + 3))  # numbered without gaps or repeats
    _chain_intact(owner_url)


# A reader in its own process: the study as sam reads it, again and again until every upload is in.
_READER = """
import sys, time
from trial.store.server import ServerStore
url, expected = sys.argv[1], int(sys.argv[2])
reads, deadline = 0, time.monotonic() + 600
with ServerStore.open(url) as store:
    while time.monotonic() < deadline:
        store.data_version()
        seen = store.scalar("SELECT count(*) FROM uploads")
        store.scalar("SELECT count(*) FROM hair_counts")
        reads += 1
        if seen >= expected:
            break
        time.sleep(0.2)
print(reads)
"""


def test_a_loader_killed_mid_write_fifty_times_leaves_no_partial_upload(pg_cluster, tmp_path):
    """Each file corrects every hair count of 300 subjects: after any kill, the study holds the whole
    of the last upload that committed, never a part of the one killed."""
    subjects = 300
    url, owner_url = _study(pg_cluster, tmp_path, "killed", subjects)
    ids = [f"S01-{n:04d}" for n in range(1, subjects + 1)]
    base = hair_count_file(ids).decode()
    first = tmp_path / "hair_0.csv"
    first.write_text(base)
    assert subprocess.run([*TRIAL, "load", str(first), "--db", url], env=_env(), capture_output=True).returncode == 0
    rng, killed, finished, during_write = random.Random(13), 0, 0, 0
    for k in range(1, 51):
        path = tmp_path / f"hair_{k}.csv"
        header, *lines = base.splitlines()
        path.write_text("\n".join([header, *(_shifted(line, k) for line in lines)]) + "\n")
        process = subprocess.Popen([*TRIAL, "load", str(path), "--reason", f"recount {k}", "--db", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
        if k % 2:  # at a moment of chance, or while the loader's transaction has written part of the file
            time.sleep(rng.uniform(1.0, 6.0))
        else:
            during_write += _wait_for_a_write(owner_url, process)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        finished += process.returncode == 0
        _whole(owner_url, subjects * 4)
    assert killed >= 20 and finished >= 1 and during_write >= 15, (killed, finished, during_write)  # every outcome happened
    _chain_intact(owner_url)


def _wait_for_a_write(owner_url: str, process: subprocess.Popen) -> bool:
    """Wait until a loader's open transaction has written (its backend has a transaction id) and is
    still writing; whether it was seen so."""
    with psycopg.connect(owner_url, autocommit=True) as owner:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            if owner.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                             "backend_xid IS NOT NULL AND state = 'active' AND pid <> pg_backend_pid()").fetchone()[0]:
                return True
            time.sleep(0.005)
    return False


def _shifted(line: str, k: int) -> str:
    cells = line.split(",")
    cells[6] = str(int(cells[6]) % 100 + 100 + k)  # hair_count: every value changes from file to file
    return ",".join(cells)


def _whole(owner_url: str, rows: int) -> None:
    """Every row of hair_counts from one upload, the last loaded, with its audit rows; no upload without
    its rows."""
    with psycopg.connect(owner_url) as owner:
        by_upload = owner.execute("SELECT upload_id, count(*) FROM hair_counts GROUP BY 1").fetchall()
        assert len(by_upload) == 1 and by_upload[0][1] == rows, by_upload
        last = owner.execute("SELECT max(upload_id) FROM uploads WHERE domain = 'hair_counts' AND status = 'loaded'").fetchone()[0]
        assert by_upload[0][0] == last
        orphans = owner.execute("SELECT count(*) FROM uploads AS u WHERE status = 'loaded' AND domain = 'hair_counts' AND "
                                "NOT EXISTS (SELECT 1 FROM audit_trail AS a WHERE a.upload_id = u.upload_id)").fetchone()[0]
        assert orphans == 0
