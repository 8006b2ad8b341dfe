"""The Data queries page on a loaded two-site study, driven through its widgets with signed-in accounts:
a monitor opens a query (picking subject, table, record and column), the other site does not see
it, the site answers citing its upload, the monitor closes it; refusals are sentences; the study
overview and the subject profile count the open queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import APP, scenario_store
from streamlit.testing.v1 import AppTest

from dashboards.catalogue import CATALOGUE
from trial.governance import data_queries as dq
from trial.governance.users import OPEN_ROLES, User, add_user, start_session
from trial.store import Store
from trial.study import builtin_study_text

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
PAGE = "views/queries.py"
REGISTERED = any(spec.path == PAGE for spec in CATALOGUE)  # until the navigation lists it, the page runs on its own
TIMEOUT = 120
PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """The dhurat2013 protocol at two sites (the ``scale`` scenario, 400 subjects), loaded through
    the upload path; a database of its own, so the queries written stay out of other tests."""
    scenario_store(tmp_path, "scale", seed=3, subjects=400, user="fixture").close()
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))
    monkeypatch.setenv("TRIAL_USER", "apptest")
    return tmp_path / "study.duckdb"


@pytest.fixture
def sessions(db) -> dict[str, str]:
    """Accounts (a monitor, site staff at S01 and at S02) and a signed-in session for each."""
    with Store.open(db) as store:
        add_user(store, "admin", PASSWORD, ["ADMIN"], by="setup")
        made = [add_user(store, "monica", PASSWORD, ["MONITOR"], by="admin"),
                add_user(store, "sara", PASSWORD, ["SITE_STAFF"], site_id="S01", by="admin"),
                add_user(store, "sven", PASSWORD, ["SITE_STAFF"], site_id="S02", by="admin")]
        return {user.user_name: start_session(store, user) for user in made}


def page(token: str | None = None) -> AppTest:
    """The queries page as the user of ``token`` sees it (None: the study has no accounts)."""
    at = AppTest.from_file(APP if REGISTERED else str(DASHBOARDS / PAGE), default_timeout=TIMEOUT)
    if token:
        at.session_state["session_token"] = token
    at.run()
    if REGISTERED:
        at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def keys(at: AppTest) -> set[str]:
    return {w.key for w in [*at.button, *at.text_area, *at.selectbox] if w.key}


def a_subject_with_hair_counts(db) -> tuple[str, str]:
    with Store.open(db) as store:
        subject = store.scalar("SELECT min(subject_id) FROM hair_counts WHERE site_id = 'S01' AND visit = 'WEEK_4'")
        count = store.scalar("SELECT hair_count FROM hair_counts WHERE subject_id = $s AND visit = 'WEEK_4'", {"s": subject})
    return subject, str(count)


@pytest.mark.skipif(not REGISTERED, reason="the guidance links to the Upload page, which needs the app's navigation")
def test_an_empty_database_gets_guidance(tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    Store.create(empty, builtin_study_text("demo"), user="fixture").close()
    monkeypatch.setenv("TRIAL_DB", str(empty))
    at = page()
    assert at.title[0].value == "Data queries"
    assert "Nothing to show yet" in at.info[0].value and not at.dataframe


def test_monitor_opens_site_answers_monitor_closes_through_the_page(db, sessions):
    subject, count = a_subject_with_hair_counts(db)
    monitor = page(sessions["monica"])
    assert "No data queries yet. Open the first below." in [i.value for i in monitor.info]
    tables = [label.split(" · ")[0] for label in monitor.selectbox(key="new_table").options]
    assert "hair_counts" in tables and "procedures" not in tables  # a blinded monitor: no session log
    monitor.selectbox(key="new_subject").set_value(subject).run()
    monitor.selectbox(key="new_table").set_value("hair_counts").run()
    record = f"{subject} / WEEK_4 / TARGET"
    monitor.selectbox(key="new_record").set_value(record).run()
    assert f"hair_count = {count}" in monitor.selectbox(key="new_column").options  # options are shown as labels
    monitor.selectbox(key="new_column").set_value("hair_count").run()
    monitor.text_area(key="new_text").input("Far above baseline: please check the source sheet.").run()
    click(monitor, "new_open")
    assert monitor.success[0].value == f"Opened query 1 on {record} · hair_count; site S01 answers it."
    assert "answer_1" not in keys(monitor) and "close_1" in keys(monitor)  # a monitor reviews, never answers
    assert monitor.text_area(key="new_text").value == ""  # emptied for the next query

    other_site = page(sessions["sven"])
    assert "No data queries yet. A monitor opens them; they appear here for your site to answer." in [i.value for i in other_site.info]
    assert "new_open" not in keys(other_site)

    site = page(sessions["sara"])
    listed = site.dataframe[0].value
    assert listed[["Query", "Status", "Subject", "Record", "Column", "Value when opened"]].values.tolist() == [
        [1, "OPEN", subject, record, "hair_count", count]]
    assert "new_open" not in keys(site) and "close_1" not in keys(site)
    with Store.open(db) as store:
        upload = int(store.scalar("SELECT max(upload_id) FROM uploads WHERE domain = 'hair_counts' AND status = 'loaded'"))
    site.text_area(key="answer_text_1").input("Re-read the sheet: the count is right.").run()
    site.selectbox(key="answer_upload_1").set_value(upload).run()
    click(site, "answer_1")
    assert site.success[0].value == "Query 1 is answered; a monitor will close or re-open it."

    monitor = page(sessions["monica"])
    assert "reopen_1" in keys(monitor)
    click(monitor, "close_1")
    assert monitor.success[0].value == "Query 1 is closed."
    with Store.open(db) as store:
        history = dq.query_history(store, 1)
        assert dq.query_record(store, 1)["status"] == "CLOSED"
    assert history[["user_name", "action"]].values.tolist() == [["monica", "OPEN"], ["sara", "ANSWER"], ["monica", "CLOSE"]]
    assert history.upload_id.iloc[1] == upload


def test_a_refusal_is_shown_as_its_sentence_and_nothing_is_written(db):
    at = page()
    click(at, "new_open")  # no text written
    assert [e.value for e in at.error] == ["A query needs a text saying what the site should check."]
    with Store.open(db) as store:
        assert dq.query_list(store).empty


def test_the_overview_and_the_subject_profile_count_open_queries(db):
    subject, _ = a_subject_with_hair_counts(db)
    everyone = User("apptest", OPEN_ROLES)
    with Store.open(db) as store:
        for visit in ("BASELINE", "WEEK_4", "WEEK_8"):
            dq.open_query(store, everyone, subject_id=subject, table_name="hair_counts",
                          record_key=f"{subject} / {visit} / TARGET", column_name="hair_count", text=f"Check {visit}.")
        dq.answer_query(store, everyone, 2, "Checked.")
        dq.close_query(store, everyone, 3)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.switch_page("views/overview.py").run()
    assert not app.exception, [e.message for e in app.exception]
    metric = next(m for m in app.metric if m.label == "Open queries")
    assert (metric.value, metric.delta) == ("2", "1 answered")
    assert any("Open data queries by site: S01 2 (1 awaiting the site)" in c.value for c in app.caption)

    app.switch_page("views/subject.py")
    app.query_params["subject"] = subject
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert any(m.value == "**Open data queries: 2** (1 closed)" for m in app.markdown)
    shown = next(d.value for d in app.dataframe if "Question" in d.value.columns)
    assert shown[["Query", "Status", "Question"]].values.tolist() == [[1, "OPEN", "Check BASELINE."],
                                                                      [2, "ANSWERED", "Check WEEK_4."]]
