"""A load killed mid-way leaves the database as it was; a locked database gives one sentence."""

import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import hair_count_file, load, new_store, study_files

TRIAL = [sys.executable, "-m", "trial.cli"]
SUBJECTS = 60_000  # 240,000 hair-count rows, about 10 MB: large enough that the CLI reports its stages


@pytest.fixture(scope="module")
def big_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    db = folder / "study.duckdb"
    with new_store(db) as store:
        subjects, randomization = study_files(SUBJECTS)
        assert load(store, subjects, "subjects").status == "loaded"
        assert load(store, randomization, "randomization").status == "loaded"
    big = folder / "hair_counts.csv"
    big.write_bytes(hair_count_file([f"S01-{n:04d}" for n in range(1, SUBJECTS + 1)]))
    return db, big


def _counts(db):
    from trial.store import Store

    with Store.open(db, read_only=True) as store:
        return (
            store.scalar("SELECT count(*) FROM hair_counts"),
            store.scalar("SELECT count(*) FROM uploads WHERE file_name = 'hair_counts.csv'"),
        )


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["checking values", "writing"])
def test_sigkill_mid_load_leaves_no_row_of_the_file(big_study, stage):
    db, big = big_study
    process = subprocess.Popen(
        [*TRIAL, "load", str(big), "--domain", "hair_counts", "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line.strip())
        if stage in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the load finished before it could be killed: {seen}"
    assert not any("done" in s for s in seen)

    rows, uploads = _counts(db)  # the database opens, and holds nothing of the killed load
    assert (rows, uploads) == (0, 0)


def test_a_locked_database_gives_one_sentence(tmp_path):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    csv = tmp_path / "subjects.csv"
    csv.write_text("site_id,subject_id\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for command in (["load", str(csv)], ["uploads"], ["audit"]):
            done = subprocess.run([*TRIAL, *command, "--db", str(db)], capture_output=True, text=True, timeout=60)
            assert done.returncode == 2
            assert "Traceback" not in done.stderr
            assert "in use by another program" in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
