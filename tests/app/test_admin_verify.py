"""The Administration page's Verify button runs the whole check (trial.governance.integrity) and names the
problems as plain text: a record key that looks like Markdown stays as it was typed."""

from __future__ import annotations


import duckdb
import pytest
from helpers import APP, TEAM_PASSWORD, team_store
from streamlit.testing.v1 import AppTest

from trial.governance.users import sign_in, start_session
from trial.store.database import CONNECTION_CONFIG

LINK = "[click me](http://evil.example/x.png)"


@pytest.fixture
def admin_page(tmp_path, monkeypatch):
    with team_store(tmp_path, subjects=240) as store:
        token = start_session(store, sign_in(store, "stat", TEAM_PASSWORD))
    db = tmp_path / "study.duckdb"
    monkeypatch.setenv("TRIAL_DB", str(db))

    def verify_now() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["session_token"] = token
        at.run()
        at.switch_page("views/admin.py").run()
        next(b for b in at.button if b.label == "Verify").click().run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return db, verify_now


def test_verify_on_the_page_says_intact_then_names_a_tampered_account_as_text(admin_page):
    db, verify_now = admin_page
    at = verify_now()
    assert any("The study database is intact" in s.value for s in at.success), [s.value for s in at.success]
    con = duckdb.connect(str(db), config=CONNECTION_CONFIG)  # the app's own database instance (same file, same process)
    try:
        con.execute("UPDATE users SET roles = ['MONITOR', 'STATISTICIAN'] WHERE user_name = 'mona'")
        con.execute("INSERT INTO users SELECT * REPLACE ($name AS user_name) FROM users WHERE user_name = 'mona'", {"name": LINK})
    finally:
        con.close()
    at = verify_now()
    assert any("has been tampered with: 2 problem(s)" in e.value for e in at.error), [e.value for e in at.error]
    shown = "\n".join(t.value for t in at.text)
    assert "users mona: roles changed outside the system" in shown
    assert f"users {LINK}: added outside the system" in shown  # verbatim, in a text element: no link is made
    assert not any(LINK in m.value for m in at.markdown)
