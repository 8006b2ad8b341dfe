"""A loader killed mid-write fifty times on a PostgreSQL study: no partial upload, the chain intact.
(Eight loaders at once while the dashboards and a reader read: tests/browser/test_postgres_under_load.py.)"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import psycopg
from helpers import hair_count_file
from postgres import TRIAL, chain_intact, child_env, site_study


def test_a_loader_killed_mid_write_fifty_times_leaves_no_partial_upload(pg_cluster, tmp_path):
    """Each file corrects every hair count of 300 subjects: after any kill, the study holds the whole
    of the last upload that committed, never a part of the one killed."""
    subjects = 300
    url, owner_url = site_study(pg_cluster, tmp_path, "killed", subjects)
    ids = [f"S01-{n:04d}" for n in range(1, subjects + 1)]
    base = hair_count_file(ids).decode()
    first = tmp_path / "hair_0.csv"
    first.write_text(base)
    assert subprocess.run([*TRIAL, "load", str(first), "--db", url], env=child_env(), capture_output=True).returncode == 0
    rng, killed, finished, during_write = random.Random(13), 0, 0, 0
    for k in range(1, 51):
        path = tmp_path / f"hair_{k}.csv"
        header, *lines = base.splitlines()
        path.write_text("\n".join([header, *(_shifted(line, k) for line in lines)]) + "\n")
        process = subprocess.Popen([*TRIAL, "load", str(path), "--reason", f"recount {k}", "--db", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
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
    chain_intact(owner_url)


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
