"""A correction upload may answer a data query: site staff load a file that corrects a queried value,
the Upload page offers the queries not closed on that table (the corrected one chosen already, the
answer citing the upload written for them), and the answer sent is in the query's history with the
upload cited. Another site's query is never offered."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import APP, team_store
from streamlit.testing.v1 import AppTest

from trial.governance import data_queries as dq
from trial.governance.users import account, start_session
from trial.store import Store

PAGE = "views/upload.py"
TIMEOUT = 120


FOLLOWED = """SELECT min(subject_id) FROM hair_counts WHERE site_id = $site AND subject_id > $after
              AND subject_id IN (SELECT subject_id FROM hair_counts WHERE visit = 'WEEK_8')"""


@pytest.fixture
def study(tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    """Two sites with the team's accounts; queries 1 and 2 opened by the monitor on the week-4 hair
    counts of two S01 subjects, query 3 on an S02 subject's. Returns the folder (``study.duckdb``,
    the loaded files in ``files/``) and the three subjects."""
    with team_store(tmp_path, subjects=220) as store:  # 200 subjects a site: S02 gets 20
        first = store.scalar(FOLLOWED, {"site": "S01", "after": ""})
        subjects = [first, store.scalar(FOLLOWED, {"site": "S01", "after": first}),
                    store.scalar(FOLLOWED, {"site": "S02", "after": ""})]
        mona = account(store, "mona")
        for subject in subjects:
            dq.open_query(store, mona, subject_id=subject, table_name="hair_counts", record_key=f"{subject} / WEEK_4 / TARGET",
                          column_name="hair_count", text="Far above baseline: please check the source sheet.")
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))
    return tmp_path, subjects


def corrected_file(folder: Path, subject: str, visit: str) -> tuple[bytes, str, str]:
    """The subject's hair_counts row of the loaded file, its hair count raised by 10: the file's
    bytes, the old and the new value."""
    with (folder / "files" / "hair_counts.csv").open(newline="") as loaded:
        rows = list(csv.DictReader(loaded))
    row = next(r for r in rows if (r["subject_id"], r["visit"], r["region"]) == (subject, visit, "TARGET"))
    old = row["hair_count"]
    row["hair_count"] = str(int(old) + 10)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode(), old, row["hair_count"]


def signed_in(folder: Path, user_name: str) -> AppTest:
    with Store.open(folder / "study.duckdb") as store:
        token = start_session(store, account(store, user_name))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["session_token"] = token
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_correction_upload_answers_the_query_on_the_value_it_corrected(study):
    study, (first, second, _) = study
    content, old, new = corrected_file(study, first, "WEEK_4")
    at = signed_in(study, "sam")
    assert not at.multiselect  # nothing loaded yet, nothing offered
    next(u for u in at.get("file_uploader")).upload("hair_counts-fix.csv", content, "text/csv").run()
    assert {m.label: m.value for m in at.metric}["Corrections"] == "1"
    at.text_area[0].input("transcription error found at source data verification").run()
    next(b for b in at.button if b.label.startswith("Upload")).click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Store.open(study / "study.duckdb") as store:
        upload = int(store.scalar("SELECT upload_id FROM uploads WHERE file_name = 'hair_counts-fix.csv'"))
    assert at.success[0].value.startswith("Loaded 1 of 1 file(s).")

    offered = at.multiselect(key=f"upload_answers_chosen-{upload}")
    # sam sees S01's two queries (the corrected one first and already chosen), never S02's
    assert offered.options == [f"Query 1 · {first} / WEEK_4 / TARGET · hair_count · corrected here: {old} → {new}",
                               f"Query 2 · {second} / WEEK_4 / TARGET · hair_count · value not changed by this upload"]
    assert offered.value == [1]
    answer = at.text_input(key=f"upload_answers_text-{upload}")
    assert answer.value == f"Corrected in upload {upload} (hair_counts-fix.csv)"
    next(b for b in at.button if b.label == "Send the answers").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.success[-1].value == (f"Answered query 1 (citing upload {upload}); a monitor closes or re-opens it on the "
                                    "Data queries page.")
    assert not at.multiselect  # the form has done its work

    with Store.open(study / "study.duckdb") as store:
        history = dq.query_history(store, 1)
        statuses = {q: dq.query_record(store, q)["status"] for q in (1, 2, 3)}
    assert history[["user_name", "action", "text", "upload_id", "file_name"]].values.tolist()[-1] == [
        "sam", "ANSWER", f"Corrected in upload {upload} (hair_counts-fix.csv)", upload, "hair_counts-fix.csv"]
    assert statuses == {1: "ANSWERED", 2: "OPEN", 3: "OPEN"}


def test_choosing_no_query_sends_nothing(study):
    study, (_, second, _) = study
    content, _, _ = corrected_file(study, second, "WEEK_8")
    at = signed_in(study, "sam")
    next(u for u in at.get("file_uploader")).upload("fix.csv", content, "text/csv").run()
    at.text_area[0].input("source data verification").run()
    next(b for b in at.button if b.label.startswith("Upload")).click().run()
    offered = next(iter(at.multiselect))
    assert offered.value == []  # the file corrected week 8, the queries are on week 4: none chosen for sam
    next(b for b in at.button if b.label == "Send the answers").click().run()
    assert [e.value for e in at.error] == ["Choose the queries this upload answers first."]
    with Store.open(study / "study.duckdb") as store:
        assert [dq.query_record(store, q)["status"] for q in (1, 2)] == ["OPEN", "OPEN"]
