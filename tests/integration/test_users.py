"""Accounts: argon2 hashes only, the lock-out after five failed sign-ins, sessions that expire."""

from __future__ import annotations

import datetime as dt

import pytest

from trial.errors import TrialError
from trial.governance.integrity import verify
from trial.governance.users import Role, SignInRefused, add_user, end_session, session_user, set_active, sign_in, start_session

PASSWORD = "correct horse battery"


def test_a_password_is_kept_only_as_an_argon2_hash(store):
    add_user(store, "maria", PASSWORD, ["site_staff"], site_id="S01", by="admin")
    stored = store.scalar("SELECT password_hash FROM users WHERE user_name = 'maria'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    cur = store.cursor()
    cur.execute("CHECKPOINT")
    cur.close()
    assert PASSWORD.encode() not in store.path.read_bytes()  # nowhere in the database file


def test_sign_in_gives_the_user_with_roles_site_and_blinding(store):
    add_user(store, "maria", PASSWORD, ["SITE_STAFF", "EVALUATOR"], site_id="S01", by="admin")
    add_user(store, "sam", PASSWORD, ["STATISTICIAN"], by="admin")
    maria, sam = sign_in(store, "maria", PASSWORD), sign_in(store, "sam", PASSWORD)
    assert maria.roles == {Role.SITE_STAFF, Role.EVALUATOR} and maria.sites == {"S01"} and maria.blinded
    assert sam.sites is None and not sam.blinded


def test_five_failed_sign_ins_lock_the_account_for_a_while(store):
    add_user(store, "maria", PASSWORD, ["MONITOR"], by="admin")
    for _ in range(4):
        with pytest.raises(SignInRefused, match="name or the password is wrong"):
            sign_in(store, "maria", "wrong password!")
    with pytest.raises(SignInRefused, match="locked for 15 minutes"):
        sign_in(store, "maria", "wrong password!")
    with pytest.raises(SignInRefused, match="locked until"):
        sign_in(store, "maria", PASSWORD)  # even the right password, while locked out
    with store.transaction() as cur:  # fifteen minutes later
        cur.execute("UPDATE users SET locked_until = now() - INTERVAL 1 MINUTE")
    assert sign_in(store, "maria", PASSWORD).user_name == "maria"
    actions = store.query("SELECT action, reason FROM audit_trail WHERE user_name = 'maria' ORDER BY audit_id")
    assert actions.action.tolist() == ["SIGN_IN_FAILED"] * 6 + ["SIGN_IN"]
    assert "locked out" in actions.reason.iloc[4]
    assert verify(store).problems == []


def test_sessions_expire_and_end(store):
    user = add_user(store, "maria", PASSWORD, ["MONITOR"], by="admin")
    token = start_session(store, user)
    assert session_user(store, token).user_name == "maria"
    assert session_user(store, "not-a-token") is None
    end_session(store, token)
    assert session_user(store, token) is None
    expired = start_session(store, user, length=dt.timedelta(seconds=-1))
    assert session_user(store, expired) is None
    live = start_session(store, user)
    set_active(store, "maria", False, by="admin")
    assert session_user(store, live) is None  # a disabled account's sessions stop at once
    with pytest.raises(SignInRefused, match="disabled"):
        sign_in(store, "maria", PASSWORD)


def test_accounts_are_checked_when_made(store):
    with pytest.raises(TrialError, match="see one site: give it with --site"):
        add_user(store, "e", PASSWORD, ["EVALUATOR"], by="admin")
    with pytest.raises(TrialError, match="S99 is not a site"):
        add_user(store, "e", PASSWORD, ["EVALUATOR"], site_id="S99", by="admin")
    with pytest.raises(TrialError, match="at least 10 characters"):
        add_user(store, "e", "short", ["MONITOR"], by="admin")
    with pytest.raises(TrialError, match="Roles are"):
        add_user(store, "e", PASSWORD, ["NURSE"], by="admin")
    add_user(store, "e", PASSWORD, ["MONITOR"], by="admin")
    with pytest.raises(TrialError, match="already an account"):
        add_user(store, "e", PASSWORD, ["MONITOR"], by="admin")


def test_the_users_command_bootstraps_an_admin_who_then_manages_accounts(tmp_path):
    from click.testing import CliRunner

    from helpers import cli_login, new_store
    from trial.cli import main

    db = str(tmp_path / "study.duckdb")
    new_store(db).close()
    run = CliRunner().invoke
    first = run(main, ["users", "--db", db, "add", "maria", "--role", "MONITOR", "--password-stdin", "--user", "x"], input=PASSWORD + "\n")
    assert first.exit_code == 2 and "first account must be an administrator" in first.output
    assert run(main, ["users", "--db", db, "add", "ada", "--role", "ADMIN", "--password-stdin", "--user", "x"], input=PASSWORD + "\n").exit_code == 0
    refused = run(main, ["users", "--db", db, "add", "maria", "--role", "MONITOR", "--password-stdin", "--user", "bob"], input=PASSWORD + "\n")
    assert refused.exit_code == 2 and "bob is not logged in to this study" in refused.output
    unsigned = run(main, ["users", "--db", db, "add", "maria", "--role", "MONITOR", "--password-stdin", "--user", "ada"], input=PASSWORD + "\n")
    assert unsigned.exit_code == 2 and "log in first with `trial login --user ada`" in unsigned.output  # a name is not a login
    admin = cli_login(db, "ada", tmp_path / "ada", PASSWORD)
    added = run(main, ["users", "--db", db, "add", "maria", "--role", "SITE_STAFF", "--site", "S01", "--password-stdin", "--user", "ada"],
                input=PASSWORD + "\n", env=admin)
    assert added.exit_code == 0 and "S01, unblinded" in added.output  # the demo study: site staff perform the sessions
    listed = run(main, ["users", "--db", db], env=admin)
    assert "maria" in listed.output and "SITE_STAFF" in listed.output and PASSWORD not in listed.output
    assert run(main, ["users", "--db", db, "disable", "maria", "--user", "ada"], env=admin).exit_code == 0


def test_five_failed_signatures_lock_the_account_out_and_end_its_sessions_too(store):
    from trial.governance.users import sign, why_session_ended

    user = add_user(store, "maria", PASSWORD, ["STATISTICIAN"], by="admin")
    browser = start_session(store, user)
    for _ in range(4):
        with pytest.raises(SignInRefused):
            sign(store, "maria", "wrong password!", "lock the database: done")
    assert session_user(store, browser).user_name == "maria"
    with pytest.raises(SignInRefused, match="locked for 15 minutes"):
        sign(store, "maria", "wrong password!", "lock the database: done")
    assert session_user(store, browser) is None
    assert why_session_ended(store, browser) == "the account was locked out after five failed sign-ins or signatures in a row"


def test_why_a_session_ended_is_told_in_words(store):
    from trial.governance.users import set_password, why_session_ended

    user = add_user(store, "maria", PASSWORD, ["MONITOR"], by="admin")
    signed_out, expired = start_session(store, user), start_session(store, user, length=dt.timedelta(seconds=-1))
    end_session(store, signed_out)
    assert why_session_ended(store, signed_out) == "it was signed out"
    assert why_session_ended(store, expired) == "it ran out (a session lasts 8 hours)"
    assert why_session_ended(store, "never issued") == "this study does not know the session"
    live = start_session(store, user)
    set_password(store, "maria", "a brand new password", by="admin")
    assert session_user(store, live) is None
    assert why_session_ended(store, live) == "an administrator set a new password for the account"
    assert why_session_ended(store, signed_out) == "it was signed out"  # an ended session keeps its own reason


def test_roles_and_site_are_replaced_checked_and_audited(store):
    from trial.governance.users import set_roles

    add_user(store, "ada", PASSWORD, ["ADMIN"], by="setup")
    add_user(store, "maria", PASSWORD, ["MONITOR"], by="ada")
    token = start_session(store, sign_in(store, "maria", PASSWORD))
    with pytest.raises(TrialError, match="see one site: give it with --site"):
        set_roles(store, "maria", ["EVALUATOR"], by="ada")
    with pytest.raises(TrialError, match="There is no account named bob"):
        set_roles(store, "bob", ["MONITOR"], by="ada")
    changed = set_roles(store, "maria", ["evaluator", "site_staff"], site_id="S01", by="ada")
    assert changed.roles == {Role.EVALUATOR, Role.SITE_STAFF} and changed.site_id == "S01"
    assert session_user(store, token).roles == {Role.EVALUATOR, Role.SITE_STAFF}  # at once, in the open session
    with pytest.raises(TrialError, match="ada is the only active administrator"):
        set_roles(store, "ada", ["STATISTICIAN"], by="ada")
    set_roles(store, "maria", ["ADMIN"], by="ada")
    set_roles(store, "ada", ["STATISTICIAN"], by="maria")  # another administrator remains
    trail = store.query("SELECT user_name, record_key, old_value, new_value FROM audit_trail WHERE action = 'USER_ROLES' ORDER BY audit_id")
    assert trail.values.tolist() == [["ada", "maria", "MONITOR all sites", "EVALUATOR,SITE_STAFF S01"],
                                     ["ada", "maria", "EVALUATOR,SITE_STAFF S01", "ADMIN all sites"],
                                     ["maria", "ada", "ADMIN all sites", "STATISTICIAN all sites"]]
    assert verify(store).problems == []
