"""The Administration page's accounts, as an administrator uses them (AppTest on a real database):
add, change roles and site, set a new password, disable and enable, each through the library and
audited; the browser session of an account disabled, locked out or given a new password ends at
its next click and the sign-in page says why; what people typed is shown as text."""

from __future__ import annotations

import pytest
from helpers import APP, TEAM_PASSWORD, team_store
from streamlit.testing.v1 import AppTest

from trial.governance.users import SignInRefused, add_user, session_user, sign_in, start_session
from trial.store import Store

TIMEOUT = 120
NEW_PASSWORD = "another long password"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accounts-page")
    team_store(folder).close()
    return folder / "study.duckdb"


@pytest.fixture
def open_as(db, monkeypatch):
    monkeypatch.setenv("TRIAL_DB", str(db))

    def run(token: str | None, page: str | None = "views/admin.py") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if token:
            at.session_state["session_token"] = token
        at.run()
        if page is not None and at.title[0].value != "Sign in":
            at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return run


def _session(db, name: str, password: str = TEAM_PASSWORD) -> str:
    with Store.open(db) as store:  # read-write, as the app opens it (one configuration per process)
        return start_session(store, sign_in(store, name, password))


def _text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
                     for e in getattr(at, kind))


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_the_accounts_table_has_names_for_people_and_only_an_administrator_sees_it(db, open_as):
    at = open_as(_session(db, "ada"))
    table = next(d for d in at.dataframe if "User" in d.value.columns)
    assert list(table.value.columns) == ["User", "Name", "Roles", "Site", "Active", "Failed sign-ins", "Locked until", "Created"]
    row = table.value.set_index("User").loc["sam"]
    assert (row.Roles, row.Site) == ("Site staff", "S01")
    assert table.value.set_index("User").loc["ada"].Roles == "Administrator"
    stat = open_as(_session(db, "stat"))
    assert "Accounts" not in _text(stat) and not any("Add the account" == b.label for b in stat.button)


def test_an_administrator_adds_changes_resets_disables_and_enables_an_account(db, open_as):
    ada = _session(db, "ada")
    at = open_as(ada)
    at.text_input(key="new-name").input("nina")
    at.text_input(key="new-full-name").input("Nina [Nurse](http://evil.example) **Kowalski**")
    at.multiselect(key="new-roles").select("MONITOR")
    at.text_input(key="new-password").input(TEAM_PASSWORD)
    _click(at, "Add the account")
    assert "Added nina." in _text(at)
    names = next(d for d in at.dataframe if "User" in d.value.columns).value.set_index("User")
    assert names.loc["nina"].Name == "Nina [Nurse](http://evil.example) **Kowalski**"  # kept and shown as typed
    assert "evil.example" not in _text(at)  # and never as Markdown (a link) anywhere else on the page

    nina = _session(db, "nina")
    at.selectbox(key="account-chosen").select("nina").run()
    at.multiselect(key="roles-of-nina").unselect("MONITOR").select("SITE_STAFF")
    at.selectbox(key="site-of-nina").select("S02")
    _click(at, "Save roles and site")
    assert "nina now holds Site staff, S02" in _text(at)
    with Store.open(db) as store:
        assert session_user(store, nina).sites == {"S02"}  # the open session carries on, with the new roles

    at.selectbox(key="account-chosen").select("nina").run()
    at.text_input(key="password-of-nina").input(NEW_PASSWORD)
    at.text_input(key="again-of-nina").input("something else entirely")
    _click(at, "Set the password")
    assert "The two passwords differ" in _text(at)
    at.text_input(key="again-of-nina").input(NEW_PASSWORD)
    _click(at, "Set the password")
    assert "The password of nina is set and its sessions have ended." in _text(at)
    ended = open_as(nina)
    assert ended.title[0].value == "Sign in" and "an administrator set a new password for the account" in _text(ended)

    nina = _session(db, "nina", NEW_PASSWORD)
    at.selectbox(key="account-chosen").select("nina").run()
    _click(at, "Disable the account")
    assert "nina is disabled and every session of it has ended." in _text(at)
    ended = open_as(nina)
    assert ended.title[0].value == "Sign in" and "Your session has ended: the account was disabled by an administrator" in _text(ended)
    with pytest.raises(SignInRefused, match="disabled"), Store.open(db) as store:
        sign_in(store, "nina", NEW_PASSWORD)

    at.selectbox(key="account-chosen").select("nina").run()
    _click(at, "Enable the account")
    assert "nina is enabled." in _text(at)
    with Store.open(db) as store:
        assert sign_in(store, "nina", NEW_PASSWORD).user_name == "nina"
        trail = store.query("SELECT user_name, action FROM audit_trail WHERE record_key = 'nina' AND table_name = 'users' "
                            "ORDER BY audit_id")
    assert trail.values.tolist() == [["ada", "USER_ADD"], ["ada", "USER_ROLES"], ["ada", "USER_PASSWORD"], ["ada", "USER_DISABLE"],
                                     ["ada", "USER_ENABLE"]]


def test_a_refused_change_is_one_sentence_under_its_form(db, open_as):
    at = open_as(_session(db, "ada"))
    at.text_input(key="new-name").input("sam")
    at.multiselect(key="new-roles").select("MONITOR")
    at.text_input(key="new-password").input(TEAM_PASSWORD)
    _click(at, "Add the account")
    assert "There is already an account named sam." in [e.value for e in at.error]
    at.selectbox(key="account-chosen").select("ada").run()
    _click(at, "Disable the account")
    assert any("ada is the only active administrator and cannot be disabled" in e.value for e in at.error)


def test_a_browser_session_ends_at_its_next_click_when_the_account_is_locked_out(db, open_as):
    with Store.open(db) as store:
        add_user(store, "lena", TEAM_PASSWORD, ["MONITOR"], by="ada")
    token = _session(db, "lena")
    assert open_as(token, page=None).title[0].value == "Welcome, lena"
    with Store.open(db) as store:  # someone else tries lena's password five times
        for _ in range(5):
            with pytest.raises(SignInRefused):
                sign_in(store, "lena", "not the password at all")
    at = open_as(token, page=None)
    assert at.title[0].value == "Sign in"
    assert "Your session has ended: the account was locked out after five failed sign-ins or signatures in a row" in _text(at)


def test_the_first_account_of_an_open_study_is_an_administrator_added_on_the_page(tmp_path, monkeypatch):
    from helpers import new_store

    db = tmp_path / "open.duckdb"
    new_store(db).close()
    monkeypatch.setenv("TRIAL_DB", str(db))
    monkeypatch.setenv("TRIAL_USER", "setup")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/admin.py").run()
    assert "No accounts yet" in _text(at) and "The first account is an administrator" in _text(at)
    at.text_input(key="new-name").input("ada")
    at.text_input(key="new-password").input(TEAM_PASSWORD)
    _click(at, "Add the account")
    assert at.title[0].value == "Sign in"  # the study is no longer open: the administrator signs in
    with Store.open(db) as store:
        assert store.query("SELECT user_name, roles FROM users").values.tolist()[0][0] == "ada"
        assert list(store.query("SELECT roles FROM users").roles.item()) == ["ADMIN"]
