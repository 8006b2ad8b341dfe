"""The Subject profile: guidance on an empty database; on the loaded scenario, opened with
``?subject=``, the subject's facts, its hair counts exactly as the database holds them, and an audit
history naming every upload that inserted its records; a correction appears with its old and new
value, who made it and why."""

from __future__ import annotations


import pytest
from helpers import (
    APP,
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    csv_bytes,
    load,
    new_store,
    seed,
)
from streamlit.testing.v1 import AppTest

from trial.reports.formats import visit_label
from trial.store import Store

PAGE = "views/subject.py"


def profile_of(open_page, subject: str) -> AppTest:
    at = open_page(PAGE)
    at.query_params["subject"] = subject
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


COLUMN_OF = {"hair_counts": "Hair count", "history": "Old value"}  # a column only that table has


def frame(at: AppTest, table: str):
    [shown] = [d.value for d in at.dataframe if COLUMN_OF[table] in d.value.columns]
    return shown


def text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.warning, *at.info])


@pytest.fixture(scope="module")
def busy_subject(dhurat_db) -> str:
    """A microneedled subject with three or more hair counts and adverse events."""
    with Store.open(dhurat_db) as store:
        return store.scalar(
            "SELECT r.subject_id FROM randomization r WHERE r.arm = 'MINOX_MN' "
            "AND r.subject_id IN (SELECT subject_id FROM adverse_events) "
            "AND r.subject_id IN (SELECT subject_id FROM hair_counts GROUP BY 1 HAVING count(*) >= 3) ORDER BY 1 LIMIT 1")


def test_an_empty_database_gets_guidance(empty_app):
    at = empty_app(PAGE)
    assert at.title[0].value == "Subject profile"
    assert "Nothing to show yet" in at.info[0].value
    assert not at.dataframe


def test_the_subject_of_the_address_is_shown_with_its_hair_counts(loaded_app, dhurat_db, busy_subject):
    with Store.open(dhurat_db) as store:
        rows = store.query(
            "SELECT h.visit, h.region, h.assessment_date, h.hair_count, h.evaluator_id FROM hair_counts h "
            "JOIN study_visits v USING (visit) WHERE h.subject_id = $s ORDER BY v.position, h.region", {"s": busy_subject})
        site, arm = store.query("SELECT s.site_id, r.arm FROM subjects s JOIN randomization r USING (subject_id) "
                                "WHERE subject_id = $s", {"s": busy_subject}).iloc[0]
    at = profile_of(loaded_app, busy_subject)
    assert at.selectbox[1].value == busy_subject and at.selectbox[0].value == site
    assert at.query_params["subject"] == busy_subject
    shown = text(at)
    assert f"**{site}**" in shown and "**Minoxidil 5 % + microneedling**" in shown and arm == "MINOX_MN"
    counts = frame(at, "hair_counts")
    assert len(counts) == len(rows) > 1
    assert list(counts["Hair count"]) == list(rows.hair_count)
    assert list(counts["Visit"]) == [visit_label(v) for v in rows.visit]
    assert list(counts["Region"]) == [r.capitalize() for r in rows.region]  # TARGET → Target
    assert list(counts["Date"].dt.date) == list(rows.assessment_date.dt.date)
    timeline = at.get("plotly_chart")[0].proto.spec
    assert "Timeline" in timeline and "AE 1:" in timeline


def test_the_audit_history_names_the_upload_and_lines_of_every_record(loaded_app, dhurat_db, busy_subject):
    tables = ("subjects", "randomization", "hair_counts", "pull_tests", "global_assessments", "adverse_events", "procedures",
              "disposition")
    with Store.open(dhurat_db) as store:
        held = {t: store.query(f"SELECT upload_id, source_line FROM {t} WHERE subject_id = $s ORDER BY source_line",
                               {"s": busy_subject}) for t in tables}
        files = dict(store.query("SELECT upload_id, file_name FROM uploads").itertuples(index=False))
    at = profile_of(loaded_app, busy_subject)
    history = frame(at, "history")
    assert set(history.Action) == {"INSERT"}  # the scenario was loaded once, never corrected
    assert set(history.Table) == {t for t, rows in held.items() if len(rows)}
    for row in history.itertuples(index=False):
        rows = held[row.Table]
        assert row.Upload == str(rows.upload_id.iloc[0]) and row.File == files[rows.upload_id.iloc[0]]
        first, last = rows.source_line.min(), rows.source_line.max()
        assert row.Lines == (str(first) if first == last else f"{first}–{last}")
        if len(rows) > 1:
            assert row.Record == f"{len(rows)} records"
        elif row.Table in ("subjects", "randomization", "disposition"):
            assert row.Record == busy_subject
        else:  # one record of a table keyed by more than the subject: its key as the trail writes it
            assert row.Record.startswith(f"{busy_subject} / ")
        assert row.Who == "fixture"


def test_an_unknown_subject_is_said_so_and_the_first_one_shown(loaded_app):
    at = profile_of(loaded_app, "S99-999")
    assert "no subject **S99-999**" in at.warning[0].value
    assert at.selectbox[1].value is not None and at.query_params["subject"] == at.selectbox[1].value


def test_a_correction_shows_old_and_new_value_who_and_why(tmp_path, monkeypatch):
    store = new_store(tmp_path / "study.duckdb")
    seed(store)
    assert load(store, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts", name="counts.csv").status == "loaded"
    fixed = [HAIR_COUNTS_ROWS[1].replace(",130,110,", ",131,110,")]  # S01-001 WEEK_4 TARGET: 130 → 131
    result = load(store, csv_bytes(HAIR_COUNTS_HEADER, fixed), "hair_counts", name="counts-fixed.csv",
                  user="monitor1", reason="transcription error found at SDV")
    assert result.status == "loaded" and result.corrected == 1
    store.close()
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.query_params["subject"] = "S01-001"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert list(frame(at, "hair_counts")["Hair count"]) == [120, 131]
    history = frame(at, "history")
    [correction] = history[history.Action == "CORRECT"].to_dict("records")
    assert correction["Table"] == "hair_counts" and correction["Record"] == "S01-001 / WEEK_4 / TARGET"
    assert (correction["Column"], correction["Old value"], correction["New value"]) == ("hair_count", "130", "131")
    assert (correction["Who"], correction["Reason"], correction["File"]) == ("monitor1", "transcription error found at SDV",
                                                                            "counts-fixed.csv")
    # both counts were inserted by the first file, the corrected one included
    [inserted] = history[(history.Action == "INSERT") & (history.Table == "hair_counts")].to_dict("records")
    assert (inserted["Record"], inserted["File"], inserted["Who"]) == ("2 records", "counts.csv", "tester")
    assert list(history.Action) == ["INSERT", "INSERT", "INSERT", "CORRECT"]  # oldest first
    assert "1 value(s) corrected" in text(at)
