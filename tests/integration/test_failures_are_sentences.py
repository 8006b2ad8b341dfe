"""Every failure of the real `trial` command is one sentence on stderr, never a traceback: files that
are not trial databases, older and newer trial databases, study files that cannot be read, a
write-ahead log that cannot be written, TRIAL_DB naming a folder; and a reader that stops early
(`trial uploads | head -1`) ends the command as if it had finished.

Tests run as root here, where a read-only mode stops nobody: an unwritable folder is made with
``chattr +i`` (skipped where the file system refuses it), and a log that cannot be written by a
``.wal`` path that is a folder or a link into a regular file. The plain ``chmod`` cases run only as
another user.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers import (
    HAIR_COUNTS_HEADER,
    RANDOMIZATION_HEADER,
    RANDOMIZATION_ROWS,
    SUBJECTS_HEADER,
    SUBJECTS_ROWS,
    csv_bytes,
    new_store,
    seed,
)

TRIAL = [sys.executable, "-m", "trial.cli"]


def _environment(cwd, extra=None) -> dict:
    return {k: v for k, v in os.environ.items() if k != "TRIAL_DB"} | {"TRIAL_HOME": str(cwd / "home")} | (extra or {})


def run(*args, cwd, env=None):
    return subprocess.run([*TRIAL, *map(str, args)], cwd=cwd, env=_environment(cwd, env), capture_output=True, text=True,
                          timeout=120)


def assert_sentence(done, *phrases, code=2):
    """Exit ``code``, and stderr one line starting with Error: that holds every phrase."""
    err = done.stderr
    assert done.returncode == code, (done.returncode, err, done.stdout[-2000:])
    assert "Traceback" not in err and "Unexpected error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])


@pytest.fixture
def files(tmp_path):
    """A subjects and a randomization file, valid for the demo study."""
    subjects, randomization = tmp_path / "subjects.csv", tmp_path / "randomization.csv"
    subjects.write_bytes(csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS))
    randomization.write_bytes(csv_bytes(RANDOMIZATION_HEADER, RANDOMIZATION_ROWS))
    return subjects, randomization


def _uploads(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM uploads").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- a reader that stops early
def run_with_closed_stdout(*args, cwd):
    """The command with a stdout whose reader has already gone, as `| head -0` leaves it."""
    child = subprocess.Popen([*TRIAL, *map(str, args)], cwd=cwd, env=_environment(cwd), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()
    err = child.stderr.read().decode()
    return child.wait(timeout=120), err


def test_a_load_whose_reader_stopped_early_still_loads_and_exits_0_quietly(tmp_path, files):
    db = tmp_path / "study.duckdb"
    assert run("init", "--db", db, cwd=tmp_path).returncode == 0
    code, err = run_with_closed_stdout("load", *files, "--db", db, cwd=tmp_path)
    assert (code, err) == (0, "")
    assert _uploads(db) == 2


def test_a_rejected_load_whose_reader_stopped_early_still_exits_1_quietly(tmp_path, files):
    db = tmp_path / "study.duckdb"
    run("init", "--db", db, cwd=tmp_path)
    code, err = run_with_closed_stdout("load", files[1], "--db", db, cwd=tmp_path)  # no subjects yet
    assert (code, err) == (1, "")


@pytest.mark.parametrize("command", [["uploads"], ["uploads", "--format", "json"], ["audit", "--format", "csv"],
                                     ["--help"], ["load", "--help"], ["--version"]])
def test_every_command_whose_reader_stopped_early_exits_0_with_nothing_on_stderr(tmp_path, files, command):
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
    code, err = run_with_closed_stdout(*command, *(["--db", db] if command[-1] not in ("--help", "--version") else []),
                                       cwd=tmp_path)
    assert (code, err) == (0, "")


def test_a_long_output_whose_reader_leaves_after_one_line_ends_as_it_would_have(tmp_path):
    """As `| head -1` does: read the first line, then go, while the command still has thousands of
    lines to print (one per finding of forty rejected files): it exits 1, as a rejection does."""
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
    bad = csv_bytes(HAIR_COUNTS_HEADER, [f"S01,S01-001,BASELINE,2024-01-09,TARGET,1,{-n},,,,EV1" for n in range(1, 61)])
    names = []
    for n in range(40):
        names.append(tmp_path / f"bad{n}.csv")
        names[-1].write_bytes(bad + f"S01,S01-001,WEEK_4,2024-02-07,TARGET,1,{n},,,,EV1\n".encode())
    child = subprocess.Popen([*TRIAL, "load", *map(str, names), "--domain", "hair_counts", "--db", str(db)],
                             cwd=tmp_path, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert b"REJECTED" in child.stdout.readline()
    child.stdout.close()
    assert (child.wait(timeout=120), child.stderr.read()) == (1, b"")
    assert _uploads(db) == 2 + 40  # every file was logged before the output began


# --------------------------------------------------------------------------- names with quotes
QUOTED = "it's \"mine\".duckdb"


def test_a_database_whose_name_holds_quotes_serves_a_scoped_reader(tmp_path):
    from trial.governance.access import Access
    from trial.governance.views import scoped

    with new_store(tmp_path / QUOTED) as store:
        seed(store)
        site_user = scoped(store, Access(sites=frozenset({"S01"}), blinded=True))
        assert site_user.scalar("SELECT count(*) FROM subjects") == 5
        assert site_user.scalar("SELECT count(DISTINCT arm) FROM randomization") == 1


def test_a_database_whose_name_holds_quotes_works_from_the_command_line(tmp_path, files):
    assert run("init", "--db", QUOTED, cwd=tmp_path).returncode == 0
    loaded = run("load", *files, "--db", QUOTED, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    listed = run("uploads", "--db", QUOTED, cwd=tmp_path)
    assert listed.returncode == 0 and "subjects.csv" in listed.stdout, listed.stderr


# --------------------------------------------------------------------------- files that are not trial databases
def _sqlite(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE visits (id INTEGER)")
    con.commit()
    con.close()


def _duckdb(path, sql):
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()


FOREIGN = {  # file → what it is, how it is made
    "sqlite.db": ("a SQLite database", _sqlite),
    "empty.duckdb": ("an empty file", lambda p: p.write_bytes(b"")),
    "notes.duckdb": ("not a DuckDB database file", lambda p: p.write_text("site_id,subject_id\nS01,S01-001\n")),
    "theirs.duckdb": ("without trial's tables", lambda p: _duckdb(p, "CREATE TABLE orders (id INTEGER)")),
    "their_meta.duckdb": ("no trial schema version",
                          lambda p: _duckdb(p, "CREATE TABLE meta (key VARCHAR, value VARCHAR); INSERT INTO meta VALUES ('owner', 'them')")),
    "meta_of_other_shape.duckdb": ("no trial schema version", lambda p: _duckdb(p, "CREATE TABLE meta (id INTEGER, note VARCHAR)")),
}


@pytest.mark.parametrize("name", list(FOREIGN))
@pytest.mark.parametrize("command", ["uploads", "load"])
def test_a_file_that_is_not_a_trial_database_is_refused_in_one_sentence(tmp_path, files, name, command):
    what, make = FOREIGN[name]
    path = tmp_path / name
    make(path)
    before = path.read_bytes()
    args = ["uploads"] if command == "uploads" else ["load", files[0]]
    done = run(*args, "--db", path, cwd=tmp_path)
    assert_sentence(done, "is not a trial database", what)
    assert "extension" not in done.stderr
    assert path.read_bytes() == before  # nothing was migrated into someone else's file


def test_no_connection_may_install_or_load_an_extension_by_itself(tmp_path):
    with new_store(tmp_path / "study.duckdb") as store:
        settings = store.query("SELECT current_setting('autoinstall_known_extensions') AS install, "
                               "current_setting('autoload_known_extensions') AS load").iloc[0]
        assert (bool(settings.install), bool(settings.load)) == (False, False)


def _schema_one_database(path: Path) -> None:
    """A database as the first release of trial left it: the first migration, the demo study."""
    from trial.store.sqlfiles import sql_text
    from trial.study import builtin_study_text, parse_study

    text = builtin_study_text("demo")
    study = parse_study(text)
    con = duckdb.connect(str(path))
    con.execute(sql_text("store/migrations/001_initial"))
    con.executemany("INSERT INTO meta VALUES (?, ?)", [("study_toml", text), ("study_id", study.study.id),
                                                       ("created_at", "2024-01-01T00:00:00+00:00"), ("data_version", "0"),
                                                       ("schema_version", "1")])
    con.executemany("INSERT INTO study_sites VALUES (?, ?, ?)", [(s.id, s.name, s.target_enrolment) for s in study.sites])
    con.executemany("INSERT INTO study_arms VALUES (?, ?, ?, ?)", [(a.code, a.label, a.control, a.microneedling) for a in study.arms])
    con.executemany("INSERT INTO study_visits VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(v.code, i, v.day, v.earliest_day, v.latest_day, v.baseline, v.primary) for i, v in enumerate(study.visits, 1)])
    con.executemany("INSERT INTO study_regions VALUES (?)", [(r,) for r in study.assessments.regions])
    con.executemany("INSERT INTO study_coding VALUES (?, ?)", [(c.pt, c.soc) for c in study.coding])
    con.close()


def test_an_older_trial_database_is_migrated_and_then_used(tmp_path, files):
    from trial.store.database import SCHEMA_VERSION

    db = tmp_path / "old.duckdb"
    _schema_one_database(db)
    listed = run("uploads", "--db", db, cwd=tmp_path)
    assert listed.returncode == 0 and "No uploads yet" in listed.stdout, listed.stderr
    loaded = run("load", *files, "--db", db, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con.close()


def test_a_newer_trial_database_says_to_upgrade(tmp_path):
    db = tmp_path / "new.duckdb"
    new_store(db).close()
    _duckdb(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    assert_sentence(run("uploads", "--db", db, cwd=tmp_path), "newer version of trial", "upgrade")


# --------------------------------------------------------------------------- study files
def test_a_study_file_that_is_not_utf8_names_the_file_and_line(tmp_path):
    study = tmp_path / "latin1.toml"
    study.write_bytes(b'[study]\nid = "X"\nname = "\xe9tude"\n')
    done = run("init", "--study", study, "--db", tmp_path / "x.duckdb", cwd=tmp_path)
    assert_sentence(done, "latin1.toml", "not UTF-8", "line 3")
    assert not (tmp_path / "x.duckdb").exists()


def test_a_study_file_with_a_syntax_error_names_the_file_and_line(tmp_path):
    study = tmp_path / "broken.toml"
    study.write_text('[study]\nid = "X"\nname = \n')
    done = run("init", "--study", study, "--db", tmp_path / "x.duckdb", cwd=tmp_path)
    assert_sentence(done, "broken.toml", "not valid TOML", "line 3")


def test_a_study_file_that_is_a_folder_is_a_sentence(tmp_path):
    (tmp_path / "study.toml").mkdir()
    assert_sentence(run("init", "--study", tmp_path / "study.toml", "--db", tmp_path / "x.duckdb", cwd=tmp_path),
                    "study.toml", "folder")


# --------------------------------------------------------------------------- the write-ahead log, TRIAL_DB
def test_a_log_path_that_is_a_folder_is_a_sentence(tmp_path, files):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    (tmp_path / "study.duckdb.wal").mkdir()
    assert_sentence(run("uploads", "--db", db, cwd=tmp_path), "study.duckdb.wal")
    assert_sentence(run("load", files[0], "--db", db, cwd=tmp_path), "study.duckdb.wal")


def test_a_log_that_cannot_be_created_is_a_sentence(tmp_path, files):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    (tmp_path / "plain").write_text("a file, not a folder")
    (tmp_path / "study.duckdb.wal").symlink_to(tmp_path / "plain" / "log")  # creating it fails, even for root
    assert_sentence(run("load", files[0], "--db", db, cwd=tmp_path), "study.duckdb.wal")


@pytest.fixture
def immutable(tmp_path):
    """Make a path immutable (chattr +i: not even root may write it); undone after the test."""
    made = []

    def make(path):
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_folder_no_one_may_write_in_gives_a_sentence_and_changes_nothing(tmp_path, files, immutable):
    folder = tmp_path / "locked"
    folder.mkdir()
    db = folder / "study.duckdb"
    new_store(db).close()
    immutable(folder)
    done = run("load", files[0], "--db", db, cwd=tmp_path)
    assert_sentence(done, "cannot be written", "study.duckdb.wal", "Nothing was changed")
    assert run("uploads", "--db", db, cwd=tmp_path).stdout.startswith("No uploads yet")


def test_a_database_file_no_one_may_write_gives_a_sentence(tmp_path, files, immutable):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    immutable(db)
    assert_sentence(run("load", files[0], "--db", db, cwd=tmp_path), "study.duckdb")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder; the chattr test covers it")
def test_a_read_only_folder_gives_a_sentence(tmp_path, files):
    folder = tmp_path / "read_only"
    folder.mkdir()
    db = folder / "study.duckdb"
    new_store(db).close()
    folder.chmod(0o555)
    try:
        assert_sentence(run("load", files[0], "--db", db, cwd=tmp_path), "cannot be written")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("command", [["uploads"], ["init"], ["audit"]])
def test_trial_db_naming_a_folder_is_a_sentence(tmp_path, files, command):
    (tmp_path / "folder.duckdb").mkdir()
    done = run(*command, cwd=tmp_path, env={"TRIAL_DB": str(tmp_path / "folder.duckdb")})
    assert_sentence(done, "folder.duckdb", "is a folder")


def test_trial_db_naming_a_folder_refuses_a_load(tmp_path, files):
    (tmp_path / "folder.duckdb").mkdir()
    done = run("load", files[0], cwd=tmp_path, env={"TRIAL_DB": str(tmp_path / "folder.duckdb")})
    assert_sentence(done, "is a folder")


def test_a_database_path_under_a_file_is_a_sentence(tmp_path):
    (tmp_path / "plain").write_text("a file")
    assert_sentence(run("init", "--db", tmp_path / "plain" / "study.duckdb", cwd=tmp_path), "a part of that path is a file")


def test_an_upload_limit_that_is_not_a_number_is_a_sentence(tmp_path):
    assert_sentence(run("uploads", "--db", tmp_path / "x.duckdb", cwd=tmp_path, env={"TRIAL_UPLOAD_LIMIT_MB": "lots"}),
                    "TRIAL_UPLOAD_LIMIT_MB", "whole number")


def test_a_file_above_the_upload_limit_is_refused_in_one_sentence(tmp_path):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    big = tmp_path / "big.csv"
    big.write_bytes(csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS * 30_000))  # about 2 MiB
    assert_sentence(run("load", big, "--db", db, cwd=tmp_path, env={"TRIAL_UPLOAD_LIMIT_MB": "1"}),
                    "big.csv", "above the upload limit of 1 MiB", "split it")
