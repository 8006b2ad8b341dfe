"""Database lock: after lock, uploads and corrections are refused with a sentence; unlock is audited."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, load, new_store, seed, snapshot
from trial.cli import main
from trial.errors import TrialError
from trial.governance.lock import DatabaseIsLocked, lock, lock_state, unlock
from trial.store import Store


def test_after_lock_an_upload_is_refused_whole_and_after_unlock_it_loads(seeded):
    state = lock(seeded, user="stat", reason="final data review complete")
    assert state.locked and state.user_name == "stat" and state.label == "LOCKED"
    before = snapshot(seeded)
    with pytest.raises(DatabaseIsLocked, match="locked on .* by stat \\(final data review complete\\).*refused"):
        load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    assert snapshot(seeded) == before
    unlock(seeded, user="admin", reason="query answered after lock")
    assert not lock_state(seeded).locked
    assert load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts").status == "loaded"
    trail = seeded.query("SELECT user_name, action, reason FROM audit_trail WHERE action IN ('LOCK', 'UNLOCK') ORDER BY audit_id")
    assert trail.values.tolist() == [["stat", "LOCK", "final data review complete"], ["admin", "UNLOCK", "query answered after lock"]]


def test_lock_needs_a_reason_and_cannot_be_taken_twice(seeded):
    with pytest.raises(TrialError, match="A reason is needed"):
        lock(seeded, user="stat", reason="  ")
    lock(seeded, user="stat", reason="done")
    with pytest.raises(TrialError, match="was locked on"):
        lock(seeded, user="stat", reason="again")
    unlock(seeded, user="stat", reason="reopen")
    with pytest.raises(TrialError, match="nothing to unlock"):
        unlock(seeded, user="stat", reason="again")


def test_the_command_line_locks_refuses_loads_and_unlocks(tmp_path):
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
    csv = tmp_path / "hair.csv"
    csv.write_bytes(csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS))
    runner = CliRunner()
    locked = runner.invoke(main, ["lock", "--reason", "final review", "--user", "stat", "--db", str(db)])
    assert locked.exit_code == 0 and "locked on" in locked.output
    refused = runner.invoke(main, ["load", str(csv), "--db", str(db)])
    assert refused.exit_code == 2 and "Uploads and corrections are refused" in refused.output
    assert "Traceback" not in refused.output
    assert runner.invoke(main, ["unlock", "--reason", "late query", "--db", str(db)]).exit_code == 0
    assert runner.invoke(main, ["load", str(csv), "--db", str(db)]).exit_code == 0
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM hair_counts") == len(HAIR_COUNTS_ROWS)


def test_the_pack_says_draft_until_the_database_is_locked_and_then_when_it_was(seeded, tmp_path):
    import docx

    from trial.reports.pack import write_pack

    def header_and_title_page(folder):
        write_pack(seeded, folder)
        document = docx.Document(folder / "end-of-study-tables.docx")
        title_page = "\n".join(p.text for p in document.paragraphs[:12])
        return "\n".join(p.text for p in document.sections[-1].header.paragraphs), title_page, \
            (folder / "table-14.1.1.html").read_text()

    header, title_page, page = header_and_title_page(tmp_path / "draft")
    assert "DRAFT" in header and "DRAFT" in title_page and "DRAFT" in page
    state = lock(seeded, user="stat", reason="final data review complete")
    header, title_page, page = header_and_title_page(tmp_path / "final")
    when = state.at.strftime("%Y-%m-%d %H:%M UTC")
    for text in (header, title_page, page):
        assert "DRAFT" not in text and f"database locked {when}" in text, text
