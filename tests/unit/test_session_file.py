"""Where `trial login` keeps its token: one private file per database, named by the database."""

from __future__ import annotations

import os
import stat

import pytest

from trial.errors import TrialError
from trial.governance import session_file


def test_one_database_one_file_however_it_is_spelt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    home = tmp_path / "home"
    assert session_file.session_path(home, "a/study.duckdb") == session_file.session_path(home, tmp_path / "a" / ".." / "a" / "study.duckdb")
    assert session_file.session_path(home, "a/study.duckdb") != session_file.session_path(home, "b/study.duckdb")


def test_a_postgresql_url_is_named_without_its_password():
    with_password = session_file.database_id("postgresql://ada:s3cret@db.example:5432/trial")
    assert with_password == session_file.database_id("postgresql://ada:other@db.example:5432/trial")
    assert "s3cret" not in with_password and with_password == "postgresql://ada@db.example:5432/trial"
    assert with_password != session_file.database_id("postgresql://ada@db.example:5432/other")


def test_the_file_is_private_written_whole_and_removed(tmp_path):
    home, db = tmp_path / "home", tmp_path / "study.duckdb"
    old_umask = os.umask(0)  # even a careless umask makes no readable file
    try:
        path = session_file.save(home, db, "ada", "the-token")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    saved = session_file.load(home, db)
    assert (saved.user_name, saved.token) == ("ada", "the-token")
    path.chmod(0o640)
    with pytest.raises(TrialError, match="can be read by others"):
        session_file.load(home, db)
    assert session_file.load(home, db, private=False).token == "the-token"
    assert session_file.remove(home, db) and not path.exists() and not session_file.remove(home, db)
    assert session_file.load(home, db) is None


def test_a_file_for_another_database_or_garbled_is_not_used(tmp_path):
    home, db = tmp_path / "home", tmp_path / "study.duckdb"
    path = session_file.save(home, db, "ada", "the-token")
    path.write_text('{"database": "/elsewhere.duckdb", "user_name": "ada", "token": "the-token"}')
    assert session_file.load(home, db) is None
    path.write_text("not json")
    assert session_file.load(home, db) is None
