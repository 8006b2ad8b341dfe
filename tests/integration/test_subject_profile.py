"""One subject's profile on a real DuckDB file: its rows as loaded, study days and windows, sessions
numbered by date, and an audit history that names the upload inserting each record, including a
record corrected later (exactly when one upload into its table came before the correction, both
candidates when two did) and the correction itself with old and new value, who and why."""

from __future__ import annotations

import pytest
from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, load

from trial.readers.subject_profile import (
    HISTORY_COLUMNS,
    audit_history,
    subject_index,
    subject_profile,
)

PROCEDURES_HEADER = "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding"
AE_HEADER = ("site_id,subject_id,ae_seq,term,pt,soc,onset_date,resolution_date,severity,serious,relationship,"
             "suspected_cause,action_taken,outcome")


@pytest.fixture
def study(seeded):
    """S01-001: two hair counts from file A, a third from file B, then the week-4 count corrected by C."""
    uploads = {}

    def send(name, header, rows, domain, **options):
        result = load(seeded, csv_bytes(header, rows), domain, name=name, **options)
        assert result.status == "loaded", [f.sentence for f in result.findings]
        uploads[name] = result.upload_id

    send("a.csv", HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, "hair_counts")
    send("b.csv", HAIR_COUNTS_HEADER, ["S01,S01-001,WEEK_8,2024-03-06,TARGET,1,140,118,16,56.5,EV1"], "hair_counts")
    send("c.csv", HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[1].replace(",130,110,", ",131,110,")], "hair_counts",
         user="monitor1", reason="transcription error")
    send("sessions.csv", PROCEDURES_HEADER, ["S01,S01-002,2024-01-17,ROLLER,1.5,8,4,Y", "S01,S01-002,2024-01-10,ROLLER,1.5,8,6,N"],
         "procedures")
    event = ("S01,S01-002,1,red scalp,Erythema,Skin and subcutaneous tissue disorders,2024-01-10,,MILD,N,"
             "PROBABLE,MICRONEEDLING,NONE,RECOVERING")
    send("ae.csv", AE_HEADER, [event], "adverse_events")
    return seeded, uploads


def test_the_index_lists_every_screened_subject(study):
    store, _ = study
    index = subject_index(store)
    assert list(index.subject_id) == ["S01-001", "S01-002", "S01-003", "S01-004", "S01-005", "S02-001"]
    assert index.set_index("subject_id").loc["S01-004", "arm"] == ""  # eligible, not randomized


def test_hair_counts_as_loaded_with_study_days_and_windows(study):
    store, _ = study
    profile = subject_profile(store, " s01-001 ")
    assert profile.subject_id == "S01-001" and profile.facts["arm"] == "MINOX" and profile.facts["ittfl"]
    counts = profile.hair_counts
    assert list(counts.visit) == ["BASELINE", "WEEK_4", "WEEK_8"]
    assert list(counts.hair_count) == [120, 131, 140]
    assert list(counts.study_day) == [-1, 28, 56]  # randomized 2024-01-10
    assert list(counts.in_window) == [True, True, True]


def test_sessions_are_numbered_by_date_and_events_flagged(study):
    store, _ = study
    profile = subject_profile(store, "S01-002")
    assert list(profile.sessions.session) == [1, 2]
    assert list(profile.sessions.pain_vas) == [6, 4]  # the file listed them out of date order
    assert list(profile.sessions.study_day) == [0, 7]
    [event] = profile.adverse_events.to_dict("records")
    assert event["teae"] and event["onset_day"] == 0 and event["outcome"] == "RECOVERING"


def test_the_audit_history_of_inserts_and_a_correction(study):
    store, uploads = study
    history = audit_history(store, "S01-001")
    assert list(history.columns) == HISTORY_COLUMNS
    a, b, c = uploads["a.csv"], uploads["b.csv"], uploads["c.csv"]
    counts = history[(history.table_name == "hair_counts") & (history.action == "INSERT")]
    rows = {r.record: (r.upload, r.file_name, r.lines) for r in counts.itertuples(index=False)}
    assert rows == {
        "S01-001 / BASELINE / TARGET": (str(a), "a.csv", "2"),  # never corrected: the upload and line it still carries
        "S01-001 / WEEK_4 / TARGET": (f"{a} or {b}", "b.csv", ""),  # corrected since: two uploads into hair_counts before
        "S01-001 / WEEK_8 / TARGET": (str(b), "b.csv", "2"),
    }
    [correction] = history[history.action == "CORRECT"].to_dict("records")
    assert correction | {"changed_at": None} == correction | {
        "changed_at": None, "user_name": "monitor1", "table_name": "hair_counts", "record": "S01-001 / WEEK_4 / TARGET",
        "column_name": "hair_count", "old_value": "130", "new_value": "131", "reason": "transcription error",
        "upload": str(c), "file_name": "c.csv"}
    assert history.action.iloc[-1] == "CORRECT" and history.changed_at.is_monotonic_increasing
    assert set(history.table_name) == {"subjects", "randomization", "hair_counts"}


def test_the_inserting_upload_of_a_corrected_record_is_exact_when_only_one_came_before(study):
    store, uploads = study
    # a session of S01-002 corrected: sessions.csv is the only upload into procedures before, so it inserted it
    fixed = load(store, csv_bytes(PROCEDURES_HEADER, ["S01,S01-002,2024-01-17,ROLLER,1.5,8,5,Y"]), "procedures",
                 name="sessions-fixed.csv", reason="pain misread")
    # and S01-002's week-4 count: a.csv and b.csv both came before, and the trail records inserts per
    # upload, not per record, so both are named
    counted = load(store, csv_bytes(HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[3].replace(",150,", ",151,")]), "hair_counts",
                   name="d.csv", reason="typo")
    assert fixed.corrected == 1 and counted.corrected == 1
    history = audit_history(store, "S01-002")
    [sessions] = history[(history.table_name == "procedures") & (history.action == "INSERT")].to_dict("records")
    # one insert of both sessions; the file line is known only for the one never corrected (line 3)
    assert (sessions["record"], sessions["upload"], sessions["lines"]) == ("2 records", str(uploads["sessions.csv"]), "3")
    inserts = history[(history.table_name == "hair_counts") & (history.action == "INSERT")].set_index("record")
    assert inserts.loc["S01-002 / BASELINE / TARGET", "upload"] == str(uploads["a.csv"])
    assert inserts.loc["S01-002 / WEEK_4 / TARGET", "upload"] == f"{uploads['a.csv']} or {uploads['b.csv']}"
    corrections = history[history.action == "CORRECT"]
    assert list(zip(corrections.column_name, corrections.old_value, corrections.new_value, strict=True)) == [
        ("pain_vas", "4", "5"), ("hair_count", "150", "151")]


def test_an_unknown_subject_has_no_profile(study):
    store, _ = study
    assert subject_profile(store, "S09-999") is None
    assert audit_history(store, "S09-999").empty
