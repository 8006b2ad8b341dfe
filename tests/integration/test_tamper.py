"""Tamper evidence for the whole study: direct changes to a closed database file, made with DuckDB
itself, are each found by ``trial audit --verify`` (through the real command line, exit 1, the
sentence naming the table and the record), with ``--anchor`` where only an anchor can tell; a
realistic history made through the system verifies clean (exit 0)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers import HAIR_COUNTS_HEADER, TEAM_PASSWORD, cli_login, csv_bytes, load, team_store
from trial.governance import data_queries, lock, session_file, trail, unblinding, users
from trial.store import Store, archive, audit

ROOT = Path(__file__).resolve().parents[2]
AUDITOR = "stat"  # a statistician of helpers.TEAM
READERS = ("stat", "ada")  # logged in on the history; their sessions hold in every copy of it


def _correction(store: Store, where: str, changes: dict, *, without: tuple[str, ...] = ()) -> bytes:
    """A hair_counts file of the one row ``where`` names, with ``changes`` made and ``without``
    columns left out."""
    columns = [c for c in HAIR_COUNTS_HEADER.split(",") if c not in without]
    cur = store.cursor()
    try:
        values = cur.execute(f"SELECT {', '.join(columns)} FROM hair_counts WHERE {where}").fetchall()
    finally:
        cur.close()
    assert len(values) == 1, values
    cells = {c: "" if v is None else str(v) for c, v in zip(columns, values[0], strict=True)} | changes
    return csv_bytes(",".join(columns), [",".join(cells[c] for c in columns)])


def _history(folder: Path) -> Path:
    """A study with the history a real one has: every domain loaded, a rejected file, a correction
    with a reason, sign-ins and sessions, a query opened, answered and closed, a lock and an unlock,
    an emergency unblinding, account changes, and (last, carrying no seals) two exports."""
    store = team_store(folder, subjects=240)
    try:
        who = {name: users.account(store, name) for name in ("stat", "mona", "sam", "ada")}
        point = "subject_id = 'S01-001' AND visit = 'BASELINE' AND region = 'TARGET'"
        count = store.scalar(f"SELECT hair_count FROM hair_counts WHERE {point}")
        corrected = load(store, _correction(store, point, {"hair_count": str(count + 3)}), "hair_counts", name="sdv.csv",
                         reason="source data verification", user="sam")
        assert corrected.corrected == 1, [f.sentence for f in corrected.findings]
        rejected = load(store, csv_bytes(HAIR_COUNTS_HEADER, ["S01,S01-001,WEEK_4,2024-02-07,TARGET,1,-3,,,,EV1"]),
                        "hair_counts", name="bad.csv", user="sam")
        assert rejected.status == "rejected"
        token = users.start_session(store, users.sign_in(store, "sam", TEAM_PASSWORD))
        users.end_session(store, token)
        users.start_session(store, users.sign_in(store, "mona", TEAM_PASSWORD))
        with pytest.raises(users.SignInRefused):
            users.sign_in(store, "mona", "not the password")
        query = data_queries.open_query(store, who["mona"], subject_id="S01-001", table_name="hair_counts",
                                        record_key="S01-001 / BASELINE / TARGET", column_name="hair_count",
                                        text="Please check against the source.")
        data_queries.answer_query(store, who["sam"], query, "Corrected from the source.", upload_id=corrected.upload_id)
        data_queries.close_query(store, who["mona"], query)
        lock.signed_lock(store, who["stat"], reason="interim review", password=TEAM_PASSWORD)
        lock.signed_unlock(store, who["stat"], reason="query found after lock", password=TEAM_PASSWORD)
        unblinding.unblind(store, who["sam"], "S01-002", "severe adverse event needs the treatment known", password=TEAM_PASSWORD)
        users.add_user(store, "newbie", TEAM_PASSWORD, ["SITE_STAFF"], site_id="S02", full_name="New Person", by="ada")
        users.set_password(store, "sam", TEAM_PASSWORD + "!", by="ada")
        users.set_active(store, "newbie", False, by="ada")
        users.set_active(store, "newbie", True, by="ada")
        users.set_roles(store, "newbie", ["EVALUATOR"], site_id="S01", by="ada")
        users.start_session(store, users.sign_in(store, "newbie", TEAM_PASSWORD))
        for _ in range(users.MOST_FAILED_SIGN_INS):  # a lock-out ends the account's sessions
            with pytest.raises(users.SignInRefused):
                users.sign_in(store, "newbie", "not the password")
    finally:
        store.close()
    db = folder / "study.duckdb"
    for name in READERS:
        cli_login(db, name, _home(db, name))
    store = Store.open(db)
    try:
        trail.record_export(store, "stat", "audit trail", "as csv")
        trail.record_export(store, "stat", "end-of-study pack", "to out/")
    finally:
        store.close()
    return db


def _home(db: Path, user: str) -> Path:
    return db.parent / "homes" / user


def _copy(history: Path, copy: Path) -> Path:
    """``history`` copied to ``copy``, with the readers' sessions kept for the copy too (its
    user_sessions hold the same tokens' hashes), so that checking the copy writes nothing to it."""
    shutil.copyfile(history, copy)
    for name in READERS:
        saved = session_file.load(_home(history, name), history)
        session_file.save(_home(copy, name), copy, name, saved.token)
    return copy


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    return _history(tmp_path_factory.mktemp("history"))


@pytest.fixture
def db(history, tmp_path) -> Path:
    """A fresh copy of the history's database for one test to change."""
    return _copy(history, tmp_path / "study.duckdb")


def _cli(db: Path, *args: str, user: str = AUDITOR, text: bool = True) -> subprocess.CompletedProcess:
    env = os.environ | {"TRIAL_HOME": str(_home(db, user)), "TRIAL_DEBUG": ""}
    return subprocess.run([sys.executable, "-m", "trial.cli", *args, "--db", str(db), "--user", user],
                          capture_output=True, text=text, cwd=ROOT, env=env, timeout=300)


def _verify(db: Path, *args: str) -> subprocess.CompletedProcess:
    return _cli(db, "audit", "--verify", *args)


def _anchor(db: Path) -> str:
    result = _cli(db, "audit", "--anchor")
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[0]


def _sql(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def _one(db: Path, sql: str):
    return _sql(db, sql)[0][0]


def test_a_realistic_history_verifies_clean(history, tmp_path):
    db = _copy(history, tmp_path / "study.duckdb")
    result = _verify(db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is intact" in result.stdout and "Traceback" not in result.stderr
    tables = {t for (t,) in _sql(db, "SELECT DISTINCT table_name FROM row_seals")}
    # the history wrote every kind of sealed record, so a writer that forgot to seal would show here
    assert tables >= {"subjects", "randomization", "hair_counts", "uploads", "upload_files", "findings", "users",
                      "user_sessions", "lock_history", "data_queries", "query_messages", "unblindings", "meta",
                      "study_arms"}
    anchored = _verify(db, "--anchor", _anchor(db))
    assert anchored.returncode == 0 and "holds the anchored row" in anchored.stdout, anchored.stderr


# --------------------------------------------------------------------------- the tamper suite
def _rechain(db: Path, audit_id: int, reason: str) -> None:
    """What an attacker who knows the algorithm does: edit one audit row, then recompute every hash
    from there on and the head in meta, so that the chain is consistent again."""
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE audit_trail SET reason = $r WHERE audit_id = $id", {"r": reason, "id": audit_id})
        rows = con.execute(
            "SELECT audit_id, epoch_us(changed_at), user_name, action, table_name, record_key, column_name, old_value, "
            "new_value, reason, upload_id, seal_count, seal_digest, prev_hash FROM audit_trail ORDER BY audit_id"
        ).fetchall()
        prev = audit.GENESIS
        for audit_id_, micros, *fields, seal_count, seal_digest, _ in rows:
            sealed = None if seal_digest is None else (seal_count, seal_digest)
            row_hash = audit._row_hash(prev, micros, tuple(fields), sealed)
            con.execute("UPDATE audit_trail SET prev_hash = $p, row_hash = $h WHERE audit_id = $id",
                        {"p": prev, "h": row_hash, "id": audit_id_})
            prev = row_hash
        con.execute("UPDATE meta SET value = $h WHERE key = 'audit_head'", {"h": prev})
    finally:
        con.close()


def _truncate(db: Path, rows: int) -> None:
    """Cut the trail's last rows (exports, which carry no seals) and make meta agree."""
    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM audit_trail WHERE audit_id IN (SELECT audit_id FROM audit_trail ORDER BY audit_id DESC "
                    "LIMIT $n)", {"n": rows})
        last, count = con.execute("SELECT (SELECT row_hash FROM audit_trail ORDER BY audit_id DESC LIMIT 1), "
                                  "count(*) FROM audit_trail").fetchall()[0]
        con.execute("UPDATE meta SET value = $v WHERE key = 'audit_head'", {"v": last})
        con.execute("UPDATE meta SET value = $v WHERE key = 'audit_rows'", {"v": str(count)})
    finally:
        con.close()


def _replace_bytes(db: Path) -> str:
    sha = _one(db, "SELECT sha256 FROM uploads WHERE domain = 'randomization' ORDER BY upload_id LIMIT 1")
    fake = b"site_id,subject_id,randomization_date,arm,randomization_number,stratum\nS01,S01-001,2024-01-10,MINOX,,\n"
    _sql(db, "UPDATE upload_files SET content = $c, size_bytes = $n WHERE sha256 = $s",
         {"c": archive.pack(fake), "n": len(fake), "s": sha})
    return "do not hash to the SHA-256"


_A_STEP = ("SELECT audit_id * 1000 + step FROM row_seals WHERE table_name = 'hair_counts' GROUP BY audit_id, step "
           "HAVING count(*) > 1 ORDER BY 1 LIMIT 1")  # a write's sealing of many hair-count records
_HAIR_SEALS = f"audit_id * 1000 + step = ({_A_STEP})"
_FIRST_TWO = f"SELECT ord FROM row_seals WHERE {_HAIR_SEALS} ORDER BY ord LIMIT 2"

# Each case: what is changed (SQL, or a function of the database file that returns one more
# fragment), and the fragments one line of the report must hold (or a list of such lines).
CASES = {
    "hair count changed": (
        "UPDATE hair_counts SET hair_count = hair_count + 10 WHERE subject_id = 'S01-003' AND visit = 'WEEK_12' "
        "AND region = (SELECT min(region) FROM hair_counts WHERE subject_id = 'S01-003' AND visit = 'WEEK_12')",
        ["hair_counts S01-003 / WEEK_12", "hair_count changed outside the system"]),
    "arm switched": (
        "UPDATE randomization SET arm = CASE arm WHEN 'MINOX' THEN 'MINOX_MN' ELSE 'MINOX' END WHERE subject_id = 'S01-004'",
        ["randomization S01-004", "arm changed"]),
    "randomization number changed": (
        "UPDATE randomization SET randomization_number = 'R-999' WHERE subject_id = 'S01-005'",
        ["randomization S01-005", "randomization_number changed"]),
    "subject deleted": (
        "DELETE FROM subjects WHERE subject_id = 'S01-006'",
        ["subjects S01-006: removed outside the system"]),
    "row inserted with a fake upload": (
        "INSERT INTO adverse_events SELECT * REPLACE (999 AS ae_seq, 424242 AS upload_id) FROM adverse_events LIMIT 1",
        ["adverse_events", " / 999: added outside the system"]),
    "row copied under the same key": (
        "INSERT INTO disposition SELECT * FROM disposition WHERE subject_id = 'S01-007'",
        ["disposition S01-007: a second row with this key was added"]),
    "needle length changed": (
        "UPDATE procedures SET needle_mm = needle_mm + 0.5 WHERE subject_id = "
        "(SELECT min(subject_id) FROM procedures) AND session_date = (SELECT min(session_date) FROM procedures "
        "WHERE subject_id = (SELECT min(subject_id) FROM procedures))",
        ["procedures ", "needle_mm changed"]),
    "raw bytes deleted": (
        "DELETE FROM upload_files WHERE sha256 = (SELECT sha256 FROM uploads WHERE domain = 'subjects' LIMIT 1)",
        ["Upload 1 (subjects.csv): its archived bytes are missing"]),
    "raw bytes replaced": (_replace_bytes, ["randomization.csv"]),
    "upload log edited": (
        "UPDATE uploads SET user_name = 'somebody' WHERE upload_id = 2",
        ["uploads 2: user_name changed"]),
    "upload log row deleted": (
        "DELETE FROM uploads WHERE file_name = 'bad.csv'",
        ["uploads ", ": removed outside the system"]),
    "finding deleted": (
        "DELETE FROM findings WHERE upload_id = (SELECT upload_id FROM uploads WHERE file_name = 'bad.csv')",
        ["the findings of upload", "removed outside the system"]),
    "monitor promoted to statistician": (
        "UPDATE users SET roles = ['MONITOR', 'STATISTICIAN'] WHERE user_name = 'mona'",
        ["users mona: roles changed"]),
    "password hash replaced": (
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE user_name = 'ada') WHERE user_name = 'stat'",
        ["users stat: password_hash changed"]),
    "account slipped in": (
        "INSERT INTO users SELECT * REPLACE ('mallory' AS user_name) FROM users WHERE user_name = 'stat'",
        ["users mallory: added outside the system"]),
    "session slipped in": (
        "INSERT INTO user_sessions VALUES (repeat('ab', 32), 'stat', now(), now() + INTERVAL 8 HOUR, NULL, NULL)",
        ["user_sessions abab", "added outside the system"]),
    "lock history deleted": (
        "DELETE FROM lock_history WHERE action = 'UNLOCK'",
        ["lock_history 2: removed outside the system"]),
    "query message deleted": (
        "DELETE FROM query_messages WHERE action = 'ANSWER'",
        ["query_messages 1 / 2: removed outside the system"]),
    "query status changed": (
        "UPDATE data_queries SET status = 'OPEN'",
        ["data_queries 1: status changed"]),
    "unblinding deleted": (
        "DELETE FROM unblindings",
        ["unblindings 1: removed outside the system"]),
    "study file edited to unblind monitors": (
        "UPDATE meta SET value = value || '\n# edited' WHERE key = 'study_toml'",
        ["meta study_toml: value changed"]),
    "arm's microneedling flag flipped": (
        "UPDATE study_arms SET microneedling = NOT microneedling WHERE arm = 'MINOX'",
        ["study_arms MINOX: microneedling changed"]),
    "visit window widened": (
        "UPDATE study_visits SET latest_day = latest_day + 30 WHERE visit = 'WEEK_12'",
        ["study_visits WEEK_12: latest_day changed"]),
    "study parameter changed": (
        "UPDATE study_parameters SET value = 0 WHERE name = 'pull_positive_above_pct'",
        ["study_parameters pull_positive_above_pct: value changed"]),
    "audit reason edited": (
        "UPDATE audit_trail SET reason = 'typo' WHERE action = 'CORRECT'",
        ["audit row", "its content was changed"]),
    "trail emptied with meta reset": (
        "DELETE FROM audit_trail; DELETE FROM row_seals; UPDATE meta SET value = '0' WHERE key = 'audit_rows'; "
        f"UPDATE meta SET value = '{audit.GENESIS}' WHERE key = 'audit_head'",
        [["The audit trail is empty"], ["subjects S01-001: added outside the system"]]),
    "seals reordered": (
        # two seals of a write of hair counts swap places (the order within a sealing step is digested)
        f"UPDATE row_seals SET ord = (SELECT min(ord) + max(ord) FROM ({_FIRST_TWO})) - ord "
        f"WHERE {_HAIR_SEALS} AND ord IN ({_FIRST_TWO})",
        ["The seals of audit row", "changed, removed or added to outside the system"]),
    "seal rewritten to match a changed row": (
        "UPDATE hair_counts SET evaluator_id = 'EVX' WHERE subject_id = 'S01-008'; "
        "UPDATE row_seals SET row_hash = sha256('x')::BLOB WHERE table_name = 'hair_counts' AND record_key LIKE 'S01-008 /%'",
        ["The seals of audit row", "changed, removed or added to outside the system"]),
    "seal slipped in for a slipped-in row": (
        "INSERT INTO row_seals SELECT 10**9, 1, 1, table_name, 'S99-999', rows, row_hash, marks, NULL FROM row_seals "
        "WHERE table_name = 'subjects' LIMIT 1",
        ["seal(s) name audit row 1000000000", "not in the trail"]),
    "column added with values": (
        "ALTER TABLE subjects ADD COLUMN note VARCHAR; UPDATE subjects SET note = 'x' WHERE subject_id = 'S01-009'",
        ["subjects S01-009: note changed outside the system"]),
    "table dropped": (
        "DROP TABLE unblindings",
        ["The table unblindings is missing"]),
    "seal history dropped": (
        "DROP TABLE row_seals",
        ["The table row_seals is missing"]),
    "a column of the upload log dropped": (
        "ALTER TABLE uploads DROP COLUMN reason",
        ["uploads 1: ", "changed outside the system"]),
    "the chain's seal digests dropped": (
        "ALTER TABLE audit_trail DROP COLUMN seal_digest",
        ["The audit trail could not be checked: its structure was changed outside the system"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_direct_change_is_named_by_verify(db, case):
    change, expected = CASES[case]
    lines = expected if isinstance(expected[0], list) else [expected]
    if callable(change):
        lines[0] = [*lines[0], change(db)]
    else:
        _sql(db, change)
    result = _verify(db)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tampered with" in result.stderr and "Traceback" not in result.stderr
    for fragments in lines:
        named = [line for line in result.stderr.splitlines() if all(f in line for f in fragments)]
        assert named, f"no problem names {fragments}:\n{result.stderr}"


def test_a_consistent_rechain_is_caught_with_the_anchor_only(db):
    anchor = _anchor(db)
    early = _one(db, "SELECT min(audit_id) FROM audit_trail WHERE action = 'SIGN_IN'")
    _rechain(db, early, "nothing to see")
    plain = _verify(db)
    assert plain.returncode == 0, plain.stderr  # a rewrite this thorough needs the anchor kept elsewhere
    result = _verify(db, "--anchor", anchor)
    assert result.returncode == 1 and "The anchored row" in result.stderr and "no longer in the audit trail" in result.stderr


def test_cutting_the_trail_short_is_caught_with_the_anchor(db):
    anchor = _anchor(db)
    _truncate(db, 2)
    assert _verify(db).returncode == 0  # the last two rows (exports) carried no seals: only the anchor knows
    result = _verify(db, "--anchor", anchor)
    assert result.returncode == 1 and "no longer in the audit trail" in result.stderr


def test_an_anchor_taken_earlier_still_verifies_after_more_writes(db):
    anchor = _anchor(db)
    with Store.open(db) as store:
        trail.record_export(store, "stat", "audit trail", "again")
    result = _verify(db, "--anchor", anchor)
    assert result.returncode == 0, result.stderr


def test_a_malformed_anchor_is_refused_with_a_sentence(db):
    result = _verify(db, "--anchor", "not-a-hash")
    assert result.returncode == 2 and "64-character hash" in result.stderr


def test_an_outside_edit_written_over_by_a_legitimate_write_is_still_found(db):
    """Laundering: change an account directly, then let an administrator change it properly."""
    _sql(db, "UPDATE users SET full_name = 'Mallory' WHERE user_name = 'sam'")
    with Store.open(db) as store:
        users.set_active(store, "sam", False, by="ada")
    result = _verify(db)
    assert result.returncode == 1
    assert "users sam: was changed outside the system after audit row" in result.stderr, result.stderr
    assert "before audit row" in result.stderr


def test_an_outside_correction_of_a_study_row_is_found_after_a_reload(db):
    """The same for study data: a direct edit, then an upload that corrects another column of the row."""
    _sql(db, "UPDATE hair_counts SET terminal_count = 1 WHERE subject_id = 'S01-010' AND visit = 'BASELINE' AND region = 'TARGET'")
    with Store.open(db) as store:
        point = "subject_id = 'S01-010' AND visit = 'BASELINE' AND region = 'TARGET'"
        count = store.scalar(f"SELECT hair_count FROM hair_counts WHERE {point}")
        # the file does not carry the edited column: the upload leaves it as it is
        result = load(store, _correction(store, point, {"hair_count": str(count + 1)}, without=("terminal_count",)),
                      "hair_counts", reason="SDV")
        assert result.corrected == 1, [f.sentence for f in result.findings]
    found = _verify(db)
    assert found.returncode == 1 and "hair_counts S01-010 / BASELINE" in found.stderr, found.stderr
    assert "was changed outside the system after audit row" in found.stderr


# --------------------------------------------------------------------------- read-only, raw bytes
def test_verify_works_on_a_read_only_copy_and_writes_nothing(history, tmp_path):
    copy = _copy(history, tmp_path / "read-only.duckdb")
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    try:
        result = _verify(copy)
        anchor = _cli(copy, "audit", "--anchor")
    finally:
        copy.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert result.returncode == 0 and "is intact" in result.stdout, result.stderr
    assert anchor.returncode == 0 and len(anchor.stdout.split()[0]) == 64
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert not Path(f"{copy}.wal").exists()


def test_raw_bytes_replaced_are_refused_with_a_sentence(db, tmp_path):
    _replace_bytes(db)
    upload = _one(db, "SELECT min(upload_id) FROM uploads WHERE domain = 'randomization'")
    out = tmp_path / "copy.csv"
    result = _cli(db, "uploads", "raw", str(upload), "--out", str(out))
    assert result.returncode == 2 and not out.exists()
    assert f"Upload {upload} (randomization.csv) is not given out" in result.stderr
    assert "do not hash to the SHA-256" in result.stderr and "Traceback" not in result.stderr


def test_raw_bytes_deleted_are_refused_with_a_sentence(db):
    upload = _one(db, "SELECT min(upload_id) FROM uploads WHERE domain = 'subjects'")
    _sql(db, "DELETE FROM upload_files WHERE sha256 = (SELECT sha256 FROM uploads WHERE upload_id = $u)", {"u": upload})
    result = _cli(db, "uploads", "raw", str(upload))
    assert result.returncode == 2 and "archived bytes are missing" in result.stderr and result.stdout == ""


def test_untouched_raw_bytes_are_served(db):
    upload = _one(db, "SELECT min(upload_id) FROM uploads WHERE domain = 'subjects'")
    result = _cli(db, "uploads", "raw", str(upload), text=False)
    sha = _one(db, f"SELECT sha256 FROM uploads WHERE upload_id = {int(upload)}")
    assert result.returncode == 0 and hashlib.sha256(result.stdout).hexdigest() == sha


def test_the_problems_listed_are_capped_and_counted(db):
    _sql(db, "UPDATE hair_counts SET hair_count = hair_count + 1")
    result = _verify(db)
    lines = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    total = _one(db, "SELECT count(*) FROM hair_counts")
    assert result.returncode == 1 and len(lines) == 51 and f"{total:,} problem(s) found" in result.stderr
    assert lines[-1].strip() == f"… and {total - 50:,} more problem(s) not listed."


def test_a_fresh_study_is_intact_and_its_anchor_is_the_init_row(tmp_path):
    db = tmp_path / "new.duckdb"
    subprocess.run([sys.executable, "-m", "trial.cli", "init", "--db", str(db)], check=True, cwd=ROOT, capture_output=True,
                   env=os.environ | {"TRIAL_HOME": str(tmp_path / "home")})
    assert _verify(db).returncode == 0
    assert _anchor(db) == _one(db, "SELECT row_hash FROM audit_trail WHERE action = 'INIT'")


def test_a_blinded_administrator_is_told_how_many_allocation_records_differ_but_not_which(db):
    """Which subjects have microneedling sessions tells their arm: a blinded reader's report counts
    the changed procedures and randomization records without naming them; the statistician's names them."""
    subject, day = _sql(db, "SELECT subject_id, CAST(min(session_date) AS VARCHAR) FROM procedures GROUP BY 1 ORDER BY 1 LIMIT 1")[0]
    _sql(db, f"UPDATE procedures SET pain_vas = 0 WHERE subject_id = '{subject}' AND session_date = DATE '{day}'")
    _sql(db, "UPDATE randomization SET arm = 'MINOX' WHERE subject_id = 'S01-002'")
    blinded = _cli(db, "audit", "--verify", user="ada")
    assert blinded.returncode == 1 and "2 problem(s) found" in blinded.stderr, blinded.stderr
    assert "procedures: 1 record(s) differ from what the audited writes left (which ones is withheld" in blinded.stderr
    assert "randomization: 1 record(s) differ" in blinded.stderr
    assert subject not in blinded.stderr and "S01-002" not in blinded.stderr and "arm changed" not in blinded.stderr
    named = _verify(db)  # the statistician
    assert f"procedures {subject} / {day}: pain_vas changed" in named.stderr and "randomization S01-002: arm changed" in named.stderr
