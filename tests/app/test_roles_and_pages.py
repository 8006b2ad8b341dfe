"""The role × page matrix of the dashboards: each role's navigation holds exactly the pages it may
open, every one of them runs, and a page outside it cannot be reached; nobody sees a page before
signing in, an expired session asks to sign in again; emergency unblinding from the subject
profile shows the arm to the site's investigator and tells the monitors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
from helpers import APP, DOUBLE_BLIND, TEAM, TEAM_PASSWORD, team_store
from streamlit.testing.v1 import AppTest

from dashboards.catalogue import CATALOGUE
from trial.governance.users import sign_in, start_session
from trial.store import Store

TIMEOUT = 120
MATRIX = {  # who → the pages their navigation holds (besides Home)
    "ada": {"overview", "admin"},
    "stat": {"subject", "queries", "overview", "tolerability", "efficacy", "assessments", "reports", "admin"},
    "mona": {"subject", "queries", "overview", "tolerability", "efficacy", "assessments"},
    "sam": {"upload", "subject", "queries", "overview", "tolerability", "efficacy", "assessments"},
    "eve": {"upload", "queries", "efficacy", "assessments"},
}
PAGE_OF = {spec.path.removeprefix("views/").removesuffix(".py"): spec.path for spec in CATALOGUE}


@dataclass(frozen=True)
class Team:
    """The team's study on one engine: where the app finds it (TRIAL_DB), each account's live session,
    and ``open()``: the study as the system opens it, to start sessions and read what was written."""

    engine: str
    where: str
    tokens: dict[str, str]
    open: Callable[[], object]


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def team(request, tmp_path_factory):
    """The same study, accounts and rows on each engine: the embedded file, and a PostgreSQL database
    whose accounts are roles of the same names (the app signs in as the owner and acts as each)."""
    folder = tmp_path_factory.mktemp("team-app")
    with team_store(folder, blinded_roles=DOUBLE_BLIND) as store:  # site staff blinded: emergency unblinding is theirs
        if request.param == "duckdb":
            tokens = {name: start_session(store, sign_in(store, name, TEAM_PASSWORD)) for name in TEAM}
            db = folder / "study.duckdb"
            return Team("duckdb", str(db), tokens, lambda: Store.open(db))
        from postgres import server_twin

        from trial.store.server import ServerStore

        url, _ = server_twin(request.getfixturevalue("pg_cluster_alone"), "teamapp", store, TEAM_PASSWORD, prefix="")
    with ServerStore.for_sign_in(url) as accounts:
        tokens = {name: start_session(accounts, sign_in(accounts, name, TEAM_PASSWORD)) for name in TEAM}
    return Team("postgresql", url, tokens, lambda: ServerStore.open(url))


@pytest.fixture
def as_user(team, monkeypatch):
    monkeypatch.setenv("TRIAL_DB", team.where)

    def open_as(who: str | None, page: str | None = None, token: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if who is not None or token is not None:
            at.session_state["session_token"] = token or team.tokens[who]
        at.run()
        if page is not None:
            at.switch_page(PAGE_OF[page]).run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_as


def _text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("title", "markdown", "caption", "info", "warning", "error", "success")
                     for e in getattr(at, kind))


@pytest.mark.parametrize("who", list(MATRIX))
def test_each_role_reaches_exactly_its_pages_and_each_of_them_runs(as_user, who):
    home = as_user(who)
    assert home.title[0].value == f"Welcome, {who}"
    for page in PAGE_OF:
        if page in MATRIX[who]:
            at = as_user(who, page)
            assert at.title, (who, page)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                as_user(who, page)


def test_nobody_sees_a_page_before_signing_in_and_an_ended_session_says_so(as_user, team):
    at = as_user(None)
    assert at.title[0].value == "Sign in" and len(at.text_input) == 2
    with team.open() as store:  # a session that has run out
        expired = start_session(store, sign_in(store, "mona", TEAM_PASSWORD), length=dt.timedelta(seconds=-1))
    at = as_user(None, token=expired)
    assert at.title[0].value == "Sign in"
    assert "Your session has ended" in _text(at)


def test_signing_in_through_the_form_opens_the_home_page(as_user):
    at = as_user(None)
    at.text_input[0].input("sam")
    at.text_input[1].input(TEAM_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Welcome, sam"
    assert "blinded" in _text(at) and "site S01 only" in _text(at)


def test_a_blinded_monitor_sees_pooled_efficacy_and_the_statistician_sees_the_arms(as_user):
    monitor, statistician = _text(as_user("mona", "efficacy")), _text(as_user("stat", "efficacy"))
    assert "Minoxidil 5 % + microneedling" in statistician
    assert "Minoxidil 5 % + microneedling" not in monitor and "MINOX_MN" not in monitor


def test_emergency_unblinding_shows_the_arm_to_the_investigator_and_tells_the_monitors(as_user, team):
    with team.open() as store:
        subject, arm = store.query("SELECT subject_id, arm FROM randomization WHERE site_id = 'S01' ORDER BY subject_id LIMIT 1").iloc[0]
        label = next(a.label for a in store.study.arms if a.code == arm)
    at = as_user("sam", "subject")
    assert at.query_params.get("subject") in (None, [], subject, [subject])  # the first subject is shown
    next(t for t in at.text_input if t.label == "Reason").input("severe scalp reaction: the treatment must be known")
    next(c for c in at.checkbox if c.label.startswith("I need to know the arm")).check()
    next(b for b in at.button if b.label == "Sign and unblind this subject").click().run()
    assert "signs with their password" in _text(at) and label not in _text(at)  # no signature, no arm
    next(t for t in at.text_input if t.label.startswith("Your password")).input(TEAM_PASSWORD)
    next(b for b in at.button if b.label == "Sign and unblind this subject").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert f"is in the arm **{label}**" in _text(at)
    with team.open() as store:
        signed = store.query("SELECT user_name, new_value FROM audit_trail WHERE action = 'E_SIGNATURE' AND new_value LIKE 'unblind %'")
    assert signed.values.tolist() == [["sam", f"unblind {subject}: severe scalp reaction: the treatment must be known"]]
    assert label not in _text(as_user("mona", "subject"))
    overview = _text(as_user("mona", "overview"))
    assert "Emergency unblinding: 1 subject(s)" in overview and f"**{subject}**" in overview and "by sam" in overview
    assert label not in overview


def test_the_administration_page_locks_only_with_the_signers_password_and_the_upload_page_then_refuses(as_user, team):
    at = as_user("stat", "admin")
    reason = next(t for t in at.text_input if t.label.startswith("Reason to lock"))
    password = next(t for t in at.text_input if t.label.startswith("Your password"))
    reason.input("final data review complete")
    password.input("not my password")
    next(b for b in at.button if b.label == "Sign and lock").click().run()
    assert "The name or the password is wrong." in _text(at)
    next(t for t in at.text_input if t.label.startswith("Your password")).input(TEAM_PASSWORD)
    next(b for b in at.button if b.label == "Sign and lock").click().run()
    assert not at.exception
    assert "The database was locked on" in _text(at) and "by stat (final data review complete)" in _text(at)
    assert "Uploads and corrections are refused" in _text(as_user("sam", "upload"))
    at = as_user("ada", "admin")  # unlocked again, signed by the administrator
    next(t for t in at.text_input if t.label.startswith("Reason to unlock")).input("a late query needs a correction")
    next(t for t in at.text_input if t.label.startswith("Your password")).input(TEAM_PASSWORD)
    next(b for b in at.button if b.label == "Sign and unlock").click().run()
    assert "The database is not locked." in _text(at)


def test_the_administrator_disables_an_account_on_the_page_and_its_session_and_its_database_login_end(as_user, team):
    """(Last in the module: eve's session ends for good.) On PostgreSQL the page's change reaches the
    account's role too, in the same transaction: eve's role can no longer log in; enabled again, it can."""
    at = as_user("ada", "admin")
    at.selectbox(key="account-chosen").select("eve").run()
    next(b for b in at.button if b.label == "Disable the account").click().run()
    assert not at.exception and "eve is disabled" in _text(at), _text(at)
    assert as_user("eve").title[0].value == "Sign in"
    if team.engine == "postgresql":
        address = psycopg.conninfo.conninfo_to_dict(team.where)
        eve = dict(address, user="eve", password=TEAM_PASSWORD)
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            psycopg.connect(**eve)
    at = as_user("ada", "admin")
    at.selectbox(key="account-chosen").select("eve").run()
    next(b for b in at.button if b.label == "Enable the account").click().run()
    assert not at.exception and "eve is enabled" in _text(at), _text(at)
    if team.engine == "postgresql":
        psycopg.connect(**eve).close()
    with team.open() as store:
        actions = store.query("SELECT action FROM audit_trail WHERE record_key = 'eve' AND action LIKE 'USER_%'").action.tolist()
    assert actions[-2:] == ["USER_DISABLE", "USER_ENABLE"]
