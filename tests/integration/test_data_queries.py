"""Data queries: a monitor opens one on a data point, the site answers, the monitor closes or
re-opens; the history and the audit trail keep every step, and the refusals say what to do."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import (
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    csv_bytes,
    load,
    scenario_store,
)

from schemas import DOMAINS
from trial.errors import TrialError
from trial.governance import data_queries as dq
from trial.governance.access import Access
from trial.governance.views import ScopedStore
from trial.governance.integrity import verify
from trial.governance.lock import DatabaseIsLocked, lock, unlock
from trial.governance.users import OPEN_ROLES, Role, User
from trial.store.sqlfiles import sql_text

MONITOR = User("monica", frozenset({Role.MONITOR}))
STATISTICIAN = User("stan", frozenset({Role.STATISTICIAN}))
STAFF_S01 = User("sara", frozenset({Role.SITE_STAFF}), "S01")
STAFF_S02 = User("sven", frozenset({Role.SITE_STAFF}), "S02")
EVALUATOR_S01 = User("eva", frozenset({Role.EVALUATOR}), "S01")
HAIR_POINT = {"subject_id": "S01-001", "table_name": "hair_counts", "record_key": "S01-001 / WEEK_4 / TARGET",
              "column_name": "hair_count"}


@pytest.fixture
def counted(seeded):
    """The seeded study with four hair counts (S01-001 and S01-002, baseline and week 4)."""
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts", name="hair_counts.csv")
    assert result.status == "loaded"
    return seeded


def _status(store, query_id: int) -> str:
    return dq.query_record(store, query_id)["status"]


def _correct_week_4(store, count: int) -> int:
    """Upload a corrected week-4 hair count of S01-001; returns the upload's number."""
    rows = [r.replace("WEEK_4,2024-02-07,TARGET,1,130", f"WEEK_4,2024-02-07,TARGET,1,{count}") for r in HAIR_COUNTS_ROWS]
    result = load(store, csv_bytes(HAIR_COUNTS_HEADER, rows), "hair_counts", name="hair_counts_fixed.csv",
                  reason="query: week 4 count re-read")
    assert result.status == "loaded" and result.corrected == 1
    return result.upload_id


def test_a_query_goes_round_open_answer_close_reopen_answer_close(counted):
    query_id = dq.open_query(counted, MONITOR, subject_id="s01-001", table_name="HAIR_COUNTS",
                             record_key="S01-001/WEEK_4/TARGET", column_name="hair_count", text="130 is far above baseline 120?")
    assert _status(counted, query_id) == "OPEN"
    assert dq.query_record(counted, query_id)["record_key"] == "S01-001 / WEEK_4 / TARGET"  # written as the trail writes keys
    fix = _correct_week_4(counted, 125)
    dq.answer_query(counted, STAFF_S01, query_id, "Transcription error: 125 on the source sheet; corrected.", upload_id=fix)
    assert _status(counted, query_id) == "ANSWERED"
    assert dq.current_value(counted, query_id) == "125"
    dq.close_query(counted, MONITOR, query_id)
    assert _status(counted, query_id) == "CLOSED"
    dq.reopen_query(counted, STATISTICIAN, query_id, "The terminal count was not corrected with it.")
    assert _status(counted, query_id) == "OPEN"
    dq.answer_query(counted, STAFF_S01, query_id, "Terminal count is right as it stands.")
    dq.close_query(counted, MONITOR, query_id, "Agreed.")
    assert _status(counted, query_id) == "CLOSED"

    history = dq.query_history(counted, query_id)
    assert history.seq.tolist() == [1, 2, 3, 4, 5, 6]
    assert history.action.tolist() == ["OPEN", "ANSWER", "CLOSE", "REOPEN", "ANSWER", "CLOSE"]
    assert history.user_name.tolist() == ["monica", "sara", "monica", "stan", "sara", "monica"]
    assert history.written_at.is_monotonic_increasing
    assert history.upload_id.iloc[1] == fix and history.file_name.iloc[1] == "hair_counts_fixed.csv"
    assert history.upload_id.iloc[[0, 2, 3, 4, 5]].isna().all()
    assert pd.isna(history.text.iloc[2]) and history.text.iloc[5] == "Agreed."

    listed = dq.query_list(counted).iloc[0]
    assert (listed.status, listed.value_when_opened, listed.question) == ("CLOSED", "130", "130 is far above baseline 120?")
    assert (listed.last_action, listed.last_by, listed.messages, listed.cited_upload) == ("CLOSE", "monica", 6, fix)

    trail = counted.query("SELECT * FROM audit_trail WHERE action LIKE 'QUERY_%' ORDER BY audit_id")
    assert trail.action.tolist() == ["QUERY_OPEN", "QUERY_ANSWER", "QUERY_CLOSE", "QUERY_REOPEN", "QUERY_ANSWER", "QUERY_CLOSE"]
    assert set(trail.table_name) == {"hair_counts"} and set(trail.record_key) == {"S01-001 / WEEK_4 / TARGET"}
    assert set(trail.column_name) == {"hair_count"}
    assert trail.reason.iloc[0] == "130 is far above baseline 120?" and trail.reason.iloc[3].startswith("The terminal")
    assert trail.upload_id.iloc[1] == fix and trail.upload_id.drop(index=1).isna().all()
    assert trail.new_value.tolist() == [f"query {query_id} {s}" for s in ("OPEN", "ANSWERED", "CLOSED", "OPEN", "ANSWERED", "CLOSED")]
    assert trail.old_value.iloc[1] == f"query {query_id} OPEN"
    assert verify(counted).problems == []


def test_an_evaluator_answers_assessment_queries_of_their_own_site_only(counted):
    hair = dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check the count.")
    age = dq.open_query(counted, MONITOR, subject_id="S01-001", table_name="subjects", record_key="S01-001",
                        column_name="age", text="Age 28 matches the ID?")
    dq.answer_query(counted, EVALUATOR_S01, hair, "Recounted: 130.")
    assert _status(counted, hair) == "ANSWERED"
    # a query outside the evaluator's view (not on an assessment) is, to her, no query at all: as `show` says
    with pytest.raises(TrialError, match=rf"^There is no query {age}; `trial queries` lists them\.$"):
        dq.answer_query(counted, EVALUATOR_S01, age, "28.")
    assert _status(counted, age) == "OPEN"


def test_before_any_account_the_acting_user_may_do_every_step(counted):
    everyone = User("setup", OPEN_ROLES)
    query_id = dq.open_query(counted, everyone, **HAIR_POINT, text="Check.")
    dq.answer_query(counted, everyone, query_id, "Checked.")
    dq.close_query(counted, everyone, query_id)
    assert _status(counted, query_id) == "CLOSED"


OPEN_REFUSALS = [
    (STAFF_S01, {}, r"^Only a monitor or a statistician opens a query; sara is site staff\.$"),
    (MONITOR, {"subject_id": "S09-001"}, r"^There is no subject S09-001 in this study; check the subject number\.$"),
    (MONITOR, {"table_name": "hair"}, r"^'hair' is not a study table; a query is raised on one of subjects, randomization, hair_counts"),
    (MONITOR, {"column_name": "hairs"}, r"^hair_counts has no column 'hairs'; its columns are site_id, subject_id, visit"),
    (MONITOR, {"column_name": "upload_id"}, r"^hair_counts has no column 'upload_id'"),  # bookkeeping, not a data point
    (MONITOR, {"record_key": "S01-001 / WEEK_12 / TARGET"},
     (r"^S01-001 has no hair_counts record 'S01-001 / WEEK_12 / TARGET' \(subject_id / visit / region\); its records are "
      r"S01-001 / BASELINE / TARGET, S01-001 / WEEK_4 / TARGET\.$")),
    (MONITOR, {"record_key": "S01-002 / WEEK_4 / TARGET"}, r"^S01-001 has no hair_counts record 'S01-002 / WEEK_4 / TARGET'"),
    (MONITOR, {"subject_id": "S01-003"}, r"^S01-003 has no hair_counts record yet, so there is nothing to query there\.$"),
    (MONITOR, {"text": "   "}, r"^A query needs a text saying what the site should check\.$"),
    (MONITOR, {"table_name": "procedures", "record_key": "S01-002 / 2024-01-20", "column_name": "device"},
     r"^A query on procedures would reveal the treatment arm, which monica may not see; an unblinded statistician opens it\.$"),
    (MONITOR, {"table_name": "randomization", "record_key": "S01-001", "column_name": "arm"},
     r"^A query on randomization\.arm would reveal the treatment arm"),
]


@pytest.mark.parametrize(("user", "changed", "sentence"), OPEN_REFUSALS)
def test_opening_is_refused_with_a_sentence(counted, user, changed, sentence):
    with pytest.raises(TrialError, match=sentence):
        dq.open_query(counted, user, **(HAIR_POINT | {"text": "Check."} | changed))
    assert dq.query_list(counted).empty
    assert counted.scalar("SELECT count(*) FROM audit_trail WHERE action LIKE 'QUERY_%'") == 0


def test_a_statistician_may_query_the_arm_and_a_monitor_other_randomization_columns(counted):
    assert dq.open_query(counted, STATISTICIAN, subject_id="S01-001", table_name="randomization", record_key="S01-001",
                         column_name="arm", text="Arm against the list?")
    assert dq.open_query(counted, MONITOR, subject_id="S01-001", table_name="randomization", record_key="S01-001",
                         column_name="randomization_date", text="Date?")


def test_a_second_query_on_a_data_point_waits_for_the_first_to_close(counted):
    first = dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check.")
    with pytest.raises(TrialError, match=rf"^Query {first} on this data point is still open; follow it up there"):
        dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check again.")
    dq.close_query(counted, MONITOR, first)
    assert dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check again.") == first + 1


def test_answering_closing_and_reopening_are_refused_with_a_sentence(counted):
    query_id = dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check.")
    with pytest.raises(TrialError, match=rf"^There is no query {query_id}; `trial queries` lists them\.$"):  # another site's
        dq.answer_query(counted, STAFF_S02, query_id, "Fine.")
    with pytest.raises(TrialError, match=r"^Only site staff answer a query.*monica is a monitor\.$"):
        dq.answer_query(counted, MONITOR, query_id, "Fine.")
    with pytest.raises(TrialError, match=r"^An answer needs a text saying what was checked or corrected\.$"):
        dq.answer_query(counted, STAFF_S01, query_id, "")
    with pytest.raises(TrialError, match=r"^There is no upload 999 to cite; `trial uploads` lists them"):
        dq.answer_query(counted, STAFF_S01, query_id, "Fixed.", upload_id=999)
    with pytest.raises(TrialError, match=rf"^Query {query_id} is already open and waiting for the site's answer\.$"):
        dq.reopen_query(counted, MONITOR, query_id, "More.")
    with pytest.raises(TrialError, match=r"^Only a monitor or a statistician closes a query; sara is site staff\.$"):
        dq.close_query(counted, STAFF_S01, query_id)
    assert _status(counted, query_id) == "OPEN"
    dq.close_query(counted, MONITOR, query_id)
    with pytest.raises(TrialError, match=rf"^Query {query_id} is already closed; re-open it with a text"):
        dq.close_query(counted, MONITOR, query_id)
    with pytest.raises(TrialError, match=rf"^Query {query_id} is closed; a monitor re-opens it if it needs another answer\.$"):
        dq.answer_query(counted, STAFF_S01, query_id, "Late answer.")
    with pytest.raises(TrialError, match=r"^Re-opening a query needs a text saying what is still wrong\.$"):
        dq.reopen_query(counted, MONITOR, query_id, " ")
    with pytest.raises(TrialError, match=r"^Only a monitor or a statistician re-opens a query; sara is site staff\.$"):
        dq.reopen_query(counted, STAFF_S01, query_id, "Again.")
    with pytest.raises(dq.QueryNotFound, match=r"^There is no query 99; `trial queries` lists them\.$"):
        dq.answer_query(counted, STAFF_S01, 99, "Fine.")
    with pytest.raises(dq.QueryNotFound, match=r"^There is no query 99"):
        dq.query_history(counted, 99)
    assert dq.query_history(counted, query_id).action.tolist() == ["OPEN", "CLOSE"]
    assert verify(counted).problems == []


def test_after_lock_queries_are_closed_but_not_opened_answered_or_reopened(counted):
    answered = dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check.")
    dq.answer_query(counted, STAFF_S01, answered, "Checked.")
    waiting = dq.open_query(counted, MONITOR, subject_id="S01-002", table_name="hair_counts",
                            record_key="S01-002 / BASELINE / TARGET", column_name="hair_count", text="Check.")
    lock(counted, user="stan", reason="final data review complete")
    locked = r"^The database was locked on .* by stan \(final data review complete\)\. A query cannot be {} until it is unlocked"
    with pytest.raises(DatabaseIsLocked, match=locked.format("opened")):
        dq.open_query(counted, MONITOR, subject_id="S01-002", table_name="hair_counts",
                      record_key="S01-002 / WEEK_4 / TARGET", column_name="hair_count", text="Check.")
    with pytest.raises(DatabaseIsLocked, match=locked.format("answered")):
        dq.answer_query(counted, STAFF_S01, waiting, "Checked.")
    with pytest.raises(DatabaseIsLocked, match=locked.format("re-opened")):
        dq.reopen_query(counted, MONITOR, answered, "Not convinced.")
    assert (_status(counted, answered), _status(counted, waiting)) == ("ANSWERED", "OPEN")
    dq.close_query(counted, MONITOR, answered, "Settled before lock.")
    assert _status(counted, answered) == "CLOSED"
    unlock(counted, user="stan", reason="late query")
    dq.answer_query(counted, STAFF_S01, waiting, "Checked.")
    assert _status(counted, waiting) == "ANSWERED"


def test_open_queries_are_counted_per_site_and_subject_and_listed_by_filter(counted):
    counted_rows = [
        ("S01-001", "hair_counts", "S01-001 / BASELINE / TARGET", "hair_count"),
        ("S01-001", "hair_counts", "S01-001 / WEEK_4 / TARGET", "hair_count"),
        ("S01-001", "subjects", "S01-001", "age"),
        ("S01-002", "hair_counts", "S01-002 / WEEK_4 / TARGET", "area_cm2"),
        ("S02-001", "subjects", "S02-001", "diagnosis"),
    ]
    ids = [dq.open_query(counted, MONITOR, subject_id=s, table_name=t, record_key=k, column_name=c, text="Check.")
           for s, t, k, c in counted_rows]
    dq.answer_query(counted, STAFF_S01, ids[0], "Checked.")
    dq.close_query(counted, MONITOR, ids[1])
    dq.close_query(counted, MONITOR, ids[3])
    counts = dq.open_query_counts(counted)
    assert counts.values.tolist() == [["S01", "S01-001", 2, 1, 1], ["S02", "S02-001", 1, 1, 0]]
    assert dq.query_list(counted, status="closed").query_id.tolist() == [ids[1], ids[3]]
    assert dq.query_list(counted, subject_id="s01-001").query_id.tolist() == ids[:3]
    assert dq.query_list(counted, site_id="S02").query_id.tolist() == [ids[4]]
    assert dq.query_list(counted, status="ANSWERED", site_id="S01").query_id.tolist() == [ids[0]]
    with pytest.raises(TrialError, match="^A query's status is OPEN, ANSWERED, CLOSED; 'PENDING' is not one.$"):
        dq.query_list(counted, status="PENDING")
    assert dq.open_query_counts(counted).open_queries.sum() == 3
    for query_id in (ids[0], ids[2], ids[4]):
        dq.close_query(counted, MONITOR, query_id)
    assert dq.open_query_counts(counted).empty


def test_record_keys_of_every_table_are_written_as_the_audit_trail_writes_them(tmp_path):
    """A query names a record as the subject profile and the audit trail do (dates as YYYY-MM-DD,
    numbers without decimals): for a subject with records in every table, both lists agree."""
    with scenario_store(tmp_path, "dhurat2013", seed=5, subjects=20) as store:
        subject = store.scalar(
            "SELECT subject_id FROM procedures JOIN adverse_events USING (subject_id) "
            "JOIN disposition USING (subject_id) ORDER BY subject_id LIMIT 1"
        )
        profile_keys = store.query(sql_text("readers/subject/records"), {"subject": subject})
        for table in DOMAINS:
            mine = dq.subject_records(store, subject, table).record_key.tolist()
            theirs = sorted(profile_keys[profile_keys.table_name == table].record_key)
            assert sorted(mine) == theirs and mine, table
        session = dq.subject_records(store, subject, "procedures").iloc[0]
        query_id = dq.open_query(store, STATISTICIAN, subject_id=subject, table_name="procedures",
                                 record_key=session.record_key, column_name="needle_mm", text="Needle length?")
        assert dq.query_record(store, query_id)["value_when_opened"] == str(session.needle_mm).removesuffix(".0")


def test_each_user_sees_the_queries_of_their_sites_and_blinding(counted):
    arm = dq.open_query(counted, STATISTICIAN, subject_id="S01-001", table_name="randomization", record_key="S01-001",
                        column_name="arm", text="Arm against the list?")
    hair = dq.open_query(counted, MONITOR, **HAIR_POINT, text="Check.")
    age = dq.open_query(counted, MONITOR, subject_id="S02-001", table_name="subjects", record_key="S02-001",
                        column_name="age", text="Age?")
    def seen(user: User) -> list[int]:  # through the user's view of the store
        return dq.query_list(ScopedStore(counted, Access.of(user))).query_id.tolist()

    assert seen(STATISTICIAN) == [arm, hair, age]
    assert seen(MONITOR) == [hair, age]  # blinded: not the query on the arm
    assert seen(STAFF_S01) == [hair] and seen(STAFF_S02) == [age]
    assert seen(User("eve", frozenset({Role.EVALUATOR}), "S02")) == []  # an evaluator: assessments only
    assert seen(EVALUATOR_S01) == [hair]
    with pytest.raises(dq.QueryNotFound):
        dq.query_record(ScopedStore(counted, Access.of(STAFF_S02)), hair)
    assert dq.open_query_counts(ScopedStore(counted, Access.of(STAFF_S02))).subject_id.tolist() == ["S02-001"]
