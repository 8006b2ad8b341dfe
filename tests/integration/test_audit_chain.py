"""The audit trail is hash-chained: a row changed, removed or added directly in DuckDB is detected."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, load, new_store, seed
from trial.cli import main
from trial.governance.integrity import verify
from trial.store import Store


@pytest.fixture
def trail(tmp_path):
    """A database with an init, four inserts and a correction in its trail, closed."""
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
        load(store, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
        changed = [HAIR_COUNTS_ROWS[0].replace(",120,", ",125,"), *HAIR_COUNTS_ROWS[1:]]
        assert load(store, csv_bytes(HAIR_COUNTS_HEADER, changed), "hair_counts", reason="SDV").corrected == 1
        assert verify(store).problems == []
    return db


def _tamper(db, sql: str) -> None:
    con = duckdb.connect(str(db))
    con.execute(sql)
    con.close()


def _verify_cli(db):
    return CliRunner().invoke(main, ["audit", "--verify", "--db", str(db)])


def test_an_untouched_trail_verifies(trail):
    result = _verify_cli(trail)
    assert result.exit_code == 0 and "intact" in result.output


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("UPDATE audit_trail SET old_value = '119' WHERE action = 'CORRECT'", "its content was changed"),
        ("UPDATE audit_trail SET user_name = 'someone else' WHERE action = 'INIT'", "its content was changed"),
        ("UPDATE audit_trail SET changed_at = changed_at - INTERVAL 1 DAY WHERE action = 'CORRECT'", "its content was changed"),
        ("DELETE FROM audit_trail WHERE audit_id = (SELECT min(audit_id) + 1 FROM audit_trail)", "the row before it"),
        ("DELETE FROM audit_trail WHERE audit_id = (SELECT max(audit_id) FROM audit_trail)", "removed or added at its end"),
        ("INSERT INTO audit_trail (audit_id, changed_at, user_name, action) "
         "SELECT max(audit_id) + 1, now(), 'x', 'INSERT' FROM audit_trail", "removed or added at its end"),
    ],
)
def test_a_changed_removed_or_added_row_is_detected(trail, sql, found):
    _tamper(trail, sql)
    with Store.open(trail, read_only=True) as store:
        problems = verify(store).problems
    assert any(found in p for p in problems), problems
    result = _verify_cli(trail)
    assert result.exit_code == 1 and "tampered" in result.output and "Traceback" not in result.output


def test_a_database_from_before_the_chain_is_sealed_when_opened(tmp_path):
    db = tmp_path / "old.duckdb"
    with new_store(db) as store:
        seed(store)
    # turn it back into a schema-2 database whose trail has no hashes
    _tamper(db, "UPDATE meta SET value = '2' WHERE key = 'schema_version'; "
                "DELETE FROM meta WHERE key IN ('audit_head', 'audit_rows'); "
                "ALTER TABLE audit_trail DROP COLUMN prev_hash; ALTER TABLE audit_trail DROP COLUMN row_hash; "
                # and what the later migrations add, so that they run again
                "DROP TABLE lock_history; DROP SEQUENCE lock_id_seq; DROP TABLE users; DROP TABLE user_sessions; "
                "DROP TABLE query_messages; DROP TABLE data_queries; DROP SEQUENCE query_id_seq; "
                "DROP TABLE unblindings; DROP SEQUENCE unblinding_id_seq; "
                "ALTER TABLE findings DROP COLUMN site_id; ALTER TABLE findings DROP COLUMN subject_id; "

                "DROP TABLE row_seals; ALTER TABLE audit_trail DROP COLUMN seal_count; "
                "ALTER TABLE audit_trail DROP COLUMN seal_digest;")
    with Store.open(db) as store:
        assert verify(store).problems == []
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE row_hash IS NULL") == 0


def test_the_trail_is_numbered_without_gaps_whatever_was_checked_or_refused_between(tmp_path):
    """An auditor reads a gap as a row removed. Checked files that do not load, refusals and
    sign-ins that fail must not use up numbers (a sequence would: it ignores rollbacks)."""
    from helpers import HAIR_COUNTS_HEADER, TEAM_PASSWORD, csv_bytes, team_store

    from trial.governance.access import UploadScope
    from trial.governance.users import SignInRefused, account, sign_in, start_session
    from trial.ingest.upload import upload_bytes
    from trial.store import audit

    store = team_store(tmp_path, subjects=300)
    try:
        sam = account(store, "sam")
        start_session(store, sign_in(store, "sam", TEAM_PASSWORD))
        bad = csv_bytes(HAIR_COUNTS_HEADER, ["S01,S01-001,WEEK_4,2023-02-20,TARGET,1,-3,,,,EV1"])
        other_site = csv_bytes(HAIR_COUNTS_HEADER, ["S02,S02-001,WEEK_4,2023-02-20,TARGET,1,150,,,,EV1"])
        for data in (bad, other_site):
            upload_bytes(store, data, "check.csv", user="sam", scope=UploadScope.of(sam), dry_run=True)
            upload_bytes(store, data, "sent.csv", user="sam", scope=UploadScope.of(sam))
        with pytest.raises(SignInRefused):
            sign_in(store, "sam", "not the password")
        with store.transaction(commit=False) as cur:  # a write that records, then is rolled back (a conflict, a dry run)
            audit.record(cur, [audit.Event("sam", "EXPORT", new_value="never happened")])
        start_session(store, sign_in(store, "mona", TEAM_PASSWORD))
        ids = store.query("SELECT audit_id FROM audit_trail ORDER BY audit_id").audit_id.tolist()
    finally:
        store.close()
    assert len(ids) > 10 and ids == list(range(1, len(ids) + 1))
