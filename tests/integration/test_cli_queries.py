"""`trial queries` end to end on a real database with accounts: a monitor opens, the site answers
(another site cannot), the monitor closes and re-opens; refusals are one sentence with exit 2."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, load, new_store, run_as, seed
from trial.cli import main
from trial.governance.integrity import verify
from trial.governance.lock import lock
from trial.governance.users import add_user
from trial.store import Store

PASSWORD = "correct horse battery"
POINT = ["S01-001", "--table", "hair_counts", "--key", "S01-001 / WEEK_4 / TARGET", "--column", "hair_count"]


@pytest.fixture
def db(tmp_path):
    """The seeded study with hair counts (upload 3) and four accounts; the store is closed again."""
    path = tmp_path / "study.duckdb"
    with new_store(path) as store:
        seed(store)
        assert load(store, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts").upload_id == 3
        add_user(store, "admin", PASSWORD, ["ADMIN"], by="setup")
        add_user(store, "monica", PASSWORD, ["MONITOR"], by="admin")
        add_user(store, "sara", PASSWORD, ["SITE_STAFF"], site_id="S01", by="admin")
        add_user(store, "sven", PASSWORD, ["SITE_STAFF"], site_id="S02", by="admin")
    return path


def _run(db, *args, user: str | None = None):
    """`trial queries ARGS` as ``user``, logged in (an account of the fixture), or as whoever names no account."""
    command = ["queries", *args, *(["--user", user] if user else []), "--db", str(db)]
    if user in {"admin", "monica", "sara", "sven"}:
        return run_as(db, user, db.parent / "homes", command, password=PASSWORD)
    return CliRunner().invoke(main, command)


def _refused(result, sentence: str) -> None:
    assert result.exit_code == 2, result.output
    assert f"Error: {sentence}" in result.output and "Traceback" not in result.output


def test_monitor_opens_site_answers_monitor_closes_and_reopens(db):
    opened = _run(db, "open", *POINT, "--text", "130 is far above baseline?", user="monica")
    assert opened.exit_code == 0, opened.output
    assert "Opened query 1 on hair_counts S01-001 / WEEK_4 / TARGET, hair_count (value 130); site S01 answers it." in opened.output

    _refused(_run(db, "answer", "1", "--text", "Fine.", user="sven"),
             "There is no query 1; `trial queries` lists them.")  # another site's query: as `show` says
    answered = _run(db, "answer", "1", "--text", "Re-read the sheet: 130.", "--upload", "3", user="sara")
    assert answered.exit_code == 0 and "Query 1 is answered, citing upload 3" in answered.output
    assert _run(db, "close", "1", user="monica").exit_code == 0
    reopened = _run(db, "reopen", "1", "--text", "Terminal count too?", user="monica")
    assert reopened.exit_code == 0 and "Query 1 is open again" in reopened.output

    listed = json.loads(_run(db, "--format", "json", user="monica").output)
    assert [(q["query_id"], q["status"], q["last_action"], q["messages"]) for q in listed] == [(1, "OPEN", "REOPEN", 4)]
    shown = _run(db, "show", "1", user="sara")
    assert shown.exit_code == 0
    assert "Query 1 (OPEN) on hair_counts S01-001 / WEEK_4 / TARGET, hair_count: site S01, opened by monica." in shown.output
    assert "Value when opened: 130; now: 130." in shown.output
    steps = [line.split()[4:6] for line in shown.output.splitlines() if line.startswith("  ")]
    assert steps == [["monica", "OPEN"], ["sara", "ANSWER"], ["monica", "CLOSE"], ["monica", "REOPEN"]]
    assert "[upload 3: upload.csv]" in shown.output
    with Store.open(db, read_only=True) as store:
        actions = store.query("SELECT user_name, action FROM audit_trail WHERE action LIKE 'QUERY_%' ORDER BY audit_id")
        assert actions.values.tolist() == [["monica", "QUERY_OPEN"], ["sara", "QUERY_ANSWER"], ["monica", "QUERY_CLOSE"],
                                           ["monica", "QUERY_REOPEN"]]
        assert verify(store).problems == []


def test_each_role_sees_and_does_only_what_it_may(db):
    assert _run(db, "open", *POINT, "--text", "Check.", user="monica").exit_code == 0
    _refused(_run(db, "open", *POINT, "--text", "Check.", user="sara"),
             "Only a monitor or a statistician opens a query; sara is site staff.")
    _refused(_run(db, "close", "1", user="sara"), "Only a monitor or a statistician closes a query; sara is site staff.")
    _refused(_run(db, "answer", "1", "--text", "Fine.", user="monica"), "Only site staff answer a query")
    _refused(_run(db, "answer", "1", "--text", "Fine.", user="nobody"), "nobody is not logged in to this study")
    # a site sees its own site's queries only
    assert "S01-001" in _run(db, user="sara").output
    assert "No queries yet." in _run(db, user="sven").output
    _refused(_run(db, "show", "1", user="sven"), "There is no query 1; `trial queries` lists them.")


def test_refusals_about_the_data_point_and_the_query_are_sentences(db):
    _refused(_run(db, "open", "S09-001", "--table", "hair_counts", "--key", "S09-001", "--column", "hair_count",
                  "--text", "?", user="monica"), "There is no subject S09-001 in this study")
    _refused(_run(db, "open", "S01-001", "--table", "labs", "--key", "S01-001", "--column", "x", "--text", "?", user="monica"),
             "'labs' is not a study table")
    _refused(_run(db, "answer", "7", "--text", "Fine.", user="sara"), "There is no query 7; `trial queries` lists them.")
    assert _run(db, "open", *POINT, "--text", "Check.", user="monica").exit_code == 0
    _refused(_run(db, "answer", "1", "--text", "Fixed.", "--upload", "42", user="sara"), "There is no upload 42 to cite")
    assert _run(db, "close", "1", "--text", "Opened in error.", user="monica").exit_code == 0
    _refused(_run(db, "close", "1", user="monica"), "Query 1 is already closed")
    listed = _run(db, "--status", "CLOSED", "--format", "csv", user="monica")
    assert listed.exit_code == 0 and listed.output.splitlines()[1].startswith("1,CLOSED,S01,S01-001,hair_counts")
    assert "No queries for that selection." in _run(db, "--status", "open", user="monica").output


def test_after_lock_the_cli_refuses_to_open_a_query(db):
    with Store.open(db) as store:
        lock(store, user="stan", reason="final data review complete")
    refused = _run(db, "open", *POINT, "--text", "Check.", user="monica")
    _refused(refused, "The database was locked on")
    assert "by stan (final data review complete). A query cannot be opened until it is unlocked" in refused.output
    assert "No queries yet." in _run(db, user="monica").output
