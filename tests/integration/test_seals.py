"""Row seals (trial.store.seals): every table is sealed or exempt with a reason; an older database is
sealed when opened; a write that seals must record its audit row; sealing costs the rows a write
changes, not the table; a record's hash does not depend on the session or on a NULL column added later."""

from __future__ import annotations

import duckdb
import pytest

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, hair_count_file, load, new_store, seed, study_files
from trial.errors import TrialError
from trial.governance.integrity import verify
from trial.governance.users import add_user
from trial.store import Store, audit, seals


def _tables(store: Store) -> set[str]:
    cur = store.cursor()
    try:
        return seals.existing_tables(cur)
    finally:
        cur.close()


def test_every_table_is_sealed_or_exempt_with_a_reason(store):
    """A table added by a later migration fails here until it is sealed (trial/store/seals.py SEALED)
    or listed in EXEMPT with the reason it needs no seal."""
    tables = _tables(store)
    forgotten = tables - set(seals.SEALED) - set(seals.EXEMPT)
    assert not forgotten, f"tables neither sealed nor exempt (add them to trial/store/seals.py): {sorted(forgotten)}"
    assert not set(seals.SEALED) & set(seals.EXEMPT)
    assert set(seals.SEALED) | set(seals.EXEMPT) <= tables, "the registry names tables the database does not have"
    assert all(len(reason) > 20 for reason in seals.EXEMPT.values())
    cur = store.cursor()
    try:
        for table, entry in seals.SEALED.items():
            columns = {name for _, name, _ in seals.sealed_columns(cur, table)} | set(entry.excluded)
            assert set(entry.key) <= columns, (table, entry.key)
            assert set(entry.excluded) <= columns, (table, entry.excluded)
            assert all(len(why) > 20 for why in entry.excluded.values()), table
            assert (entry.rows == "TRUE") == (entry.rows_reason is None), table
    finally:
        cur.close()


def test_a_new_study_holds_a_seal_for_every_record_it_has(store):
    assert verify(store).intact
    for table in ("meta", "study_arms", "study_visits", "study_sites", "study_regions", "study_coding", "study_parameters"):
        sealed = store.scalar("SELECT count(*) FROM row_seals WHERE table_name = $t", {"t": table})
        assert sealed and sealed == store.scalar(f"SELECT count(*) FROM ({seals.records_sql(store.cursor(), table)})")
    assert store.scalar("SELECT seal_count FROM audit_trail WHERE action = 'INIT'") == store.scalar("SELECT count(*) FROM row_seals")


def _as_schema_7(db) -> None:
    """Turn a database back into one from before seals: no row_seals, no seal columns, its chain
    hashed as the older code hashed it."""
    con = duckdb.connect(str(db))
    try:
        con.execute("DROP TABLE row_seals; ALTER TABLE audit_trail DROP COLUMN seal_count; "
                    "ALTER TABLE audit_trail DROP COLUMN seal_digest; UPDATE meta SET value = '7' WHERE key = 'schema_version'; "
                    # and what the other migrations after the seventh add, so that they run again
                    "ALTER TABLE findings DROP COLUMN site_id; ALTER TABLE findings DROP COLUMN subject_id; "
                    "ALTER TABLE user_sessions DROP COLUMN ended_why")
        con.begin()
        audit.seal_existing(con)  # the pre-seal chain: each row's hash without seal columns
        con.commit()
    finally:
        con.close()


def test_an_older_database_is_sealed_when_opened_and_then_guarded(tmp_path):
    db = tmp_path / "old.duckdb"
    with new_store(db) as store:
        seed(store)
        add_user(store, "ada", "a long enough password", ["ADMIN"], by="setup")
    _as_schema_7(db)
    with Store.open(db) as store:
        assert verify(store).intact, verify(store).problems
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'SEAL_EXISTING'") == 1
        assert store.scalar("SELECT count(*) FROM row_seals WHERE table_name = 'subjects'") == 6
    con = duckdb.connect(str(db))
    con.execute("UPDATE randomization SET arm = 'MINOX' WHERE subject_id = 'S01-002'")
    con.close()
    with Store.open(db, read_only=True) as store:
        assert any("randomization S01-002: arm changed" in p for p in verify(store).problems)


def test_a_write_that_seals_rows_without_an_audit_row_is_refused(seeded):
    before = seeded.scalar("SELECT count(*) FROM row_seals")
    with pytest.raises(RuntimeError, match="recorded no audit row"), seeded.transaction() as cur:
        cur.execute("UPDATE subjects SET age = 99 WHERE subject_id = 'S01-001'")
        seals.added(cur, "subjects", "t.subject_id = 'S01-001'")
    assert seeded.scalar("SELECT age FROM subjects WHERE subject_id = 'S01-001'") == 28  # rolled back
    assert seeded.scalar("SELECT count(*) FROM row_seals") == before


def test_an_upload_seals_the_rows_it_changes_not_the_table(store):
    subjects, randomization = study_files(200)
    load(store, subjects, "subjects")
    load(store, randomization, "randomization")
    ids = [f"S01-{n:04d}" for n in range(1, 201)]
    assert load(store, hair_count_file(ids[:150]), "hair_counts").inserted == 600
    sealed = store.scalar("SELECT count(*) FROM row_seals WHERE table_name = 'hair_counts'")
    assert sealed == 600
    more = load(store, hair_count_file(ids[150:]), "hair_counts")  # 200 new rows into a table of 600
    assert more.inserted == 200
    assert store.scalar("SELECT count(*) FROM row_seals WHERE table_name = 'hair_counts'") == 800
    assert store.scalar("SELECT seal_count FROM audit_trail WHERE upload_id = $u AND action = 'INSERT'",
                        {"u": more.upload_id}) == 200 + 2  # its rows, its log entry, its archived file
    # the same 50 subjects again with one value corrected: one record resealed, the unchanged 199 not
    rows = hair_count_file(ids[150:]).decode().splitlines()
    rows[1] = rows[1].replace(",TARGET,1,", ",TARGET,1,1", 1)
    corrected = load(store, ("\n".join(rows) + "\n").encode(), "hair_counts", reason="SDV")
    assert corrected.corrected == 1
    assert store.scalar("SELECT count(*) FROM row_seals AS s JOIN audit_trail AS a USING (audit_id) "
                        "WHERE a.upload_id = $u AND s.table_name = 'hair_counts'", {"u": corrected.upload_id}) == 1
    assert verify(store).intact


def test_a_row_slipped_in_under_the_next_uploads_number_is_not_sealed_as_its_own(store):
    """An upload seals its new rows by the upload's number (the rows of a large file each as it is);
    a row put there outside the system beforehand, under the number the next upload will take,
    would be sealed with them and pass verify. The upload is refused instead, and verify names the row."""
    subjects, randomization = study_files(10)
    load(store, subjects, "subjects")
    load(store, randomization, "randomization")
    before = store.scalar("SELECT count(*) FROM audit_trail")
    squat = store.scalar("SELECT max(upload_id) + 1 FROM uploads")
    store._con.execute(
        "INSERT INTO hair_counts (site_id, subject_id, visit, assessment_date, region, area_cm2, hair_count, evaluator_id, "
        "upload_id, source_line) VALUES ('S01', 'S01-0010', 'WEEK_12', DATE '2024-04-03', 'TARGET', 1, 250, 'EV1', $u, 2)",
        {"u": squat},
    )
    with pytest.raises(TrialError, match=r"^hair_counts holds 1 more row\(s\) under this write's number than it wrote: "
                                         r"they were put there outside the system beforehand\. Nothing was written"):
        load(store, hair_count_file([f"S01-{n:04d}" for n in range(1, 10)]), "hair_counts")
    assert store.scalar("SELECT count(*) FROM hair_counts") == 1  # the slipped-in row only: the file's 36 rolled back
    assert store.scalar("SELECT count(*) FROM audit_trail") == before
    assert not store.scalar("SELECT count(*) FROM row_seals WHERE table_name = 'hair_counts'")
    assert [p for p in verify(store).problems if "S01-0010 / WEEK_12 / TARGET: added outside the system" in p]


def test_hashes_do_not_depend_on_the_session_time_zone(seeded):
    """uploads.uploaded_at is a TIMESTAMPTZ, whose text form follows the session's time zone."""
    hashes = []
    for zone in ("Asia/Kolkata", "America/New_York"):
        cur = seeded.cursor()
        try:
            cur.execute(f"SET TimeZone = '{zone}'")
            hashes.append(cur.execute(f"SELECT record_key, row_hash FROM ({seals.records_sql(cur, 'uploads')}) ORDER BY 1").fetchall())
        finally:
            cur.close()
    sealed = seeded.query("SELECT record_key, row_hash FROM row_seals WHERE table_name = 'uploads' ORDER BY 1")
    assert hashes[0] == hashes[1] == list(sealed.itertuples(index=False, name=None))
    seeded._con.execute("SET TimeZone = 'Pacific/Auckland'")
    load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    seeded._con.execute("SET TimeZone = 'UTC'")
    assert verify(seeded).intact


def test_a_column_added_later_and_left_empty_changes_no_seal(tmp_path):
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE subjects ADD COLUMN ethnicity VARCHAR")
    con.close()
    with Store.open(db, read_only=True) as store:
        assert verify(store).intact
