"""`trial login` and `trial logout`, end to end with the real command (a subprocess, real files):
the token kept where only its owner reads it, commands acting as that account, a wrong password,
the lock-out after five failures and what it does to the sessions already open (command line and
browser), expiry, logout, a disabled account, a password reset, and the ways around it a person
might try (another name, another database, a token file others can read)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
from helpers import TEAM_PASSWORD

from trial.governance import session_file
from trial.governance.users import session_user, sign_in, start_session, why_session_ended
from trial.store import Store

WRONG = "not the password at all"


@pytest.fixture
def db(team_db_copy):
    return team_db_copy


def trial(db, home, *args, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """``trial ARGS --db DB`` in a process of its own, with TRIAL_HOME = ``home``."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TRIAL_USER", "TRIAL_DB")}
    environment.update({"TRIAL_HOME": str(home), **(env or {})})
    return subprocess.run([sys.executable, "-m", "trial.cli", *map(str, args), "--db", str(db)], input=stdin,
                          capture_output=True, text=True, env=environment, timeout=300)


def login(db, home, user: str, password: str = TEAM_PASSWORD) -> subprocess.CompletedProcess:
    return trial(db, home, "login", "--user", user, "--password-stdin", stdin=password + "\n")


def _said(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def _refused(result: subprocess.CompletedProcess, sentence: str) -> None:
    assert result.returncode == 2, _said(result)
    assert sentence in result.stderr and "Traceback" not in _said(result), _said(result)


def test_the_right_password_keeps_a_token_only_its_owner_reads_and_commands_act_as_that_account(db, tmp_path):
    home = tmp_path / "home"
    done = login(db, home, "sam")
    assert done.returncode == 0, _said(done)
    assert done.stdout.startswith(f"Logged in to {db} as sam (SITE_STAFF, site S01) until ")
    path = session_file.session_path(home, db)
    assert str(path) in done.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    token = json.loads(path.read_text())["token"]
    with Store.open(db) as store:  # only the token's hash is in the database
        hashes = store.query("SELECT token_hash FROM user_sessions WHERE user_name = 'sam'").token_hash.tolist()
        assert hashes == [hashlib.sha256(token.encode()).hexdigest()]
        assert store.scalar("SELECT count(*) FROM user_sessions WHERE token_hash = $t", {"t": token}) == 0
        assert session_user(store, token).user_name == "sam"
        signed_in = store.query("SELECT new_value FROM audit_trail WHERE user_name = 'sam' AND action = 'SIGN_IN'")
        assert signed_in.new_value.tolist() == ["command line"]
    other_site = tmp_path / "pull-s02.csv"  # no --user below: the session says who acts
    other_site.write_text("site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted\n"
                          "S02,S02-0001,WEEK_12,2024-04-03,VERTEX,60,2\n")
    checked = trial(db, home, "load", other_site, "--dry-run")
    assert checked.returncode == 1 and "S02 is not your site: sam uploads rows of S01 only" in checked.stdout, _said(checked)
    refused = trial(db, home, "audit")
    _refused(refused, "sam (SITE_STAFF) may not read and export the whole audit trail")


def test_asking_for_the_password_works_too_and_nothing_of_it_is_echoed(db, tmp_path):
    from click.testing import CliRunner

    from trial.cli import main

    result = CliRunner().invoke(main, ["login", "--db", str(db), "--user", "mona"], input=TEAM_PASSWORD + "\n",
                                env={"TRIAL_HOME": str(tmp_path / "home")})
    assert result.exit_code == 0, result.output
    assert "Password of mona" in result.output and TEAM_PASSWORD not in result.output and "Logged in to" in result.output


def test_a_wrong_password_is_refused_counted_and_leaves_no_token(db, tmp_path):
    home = tmp_path / "home"
    refused = login(db, home, "stat", WRONG)
    _refused(refused, "Error: The name or the password is wrong.")
    assert not session_file.session_path(home, db).exists()
    _refused(login(db, home, "nobody"), "The name or the password is wrong.")  # the same words: names are not told
    _refused(trial(db, home, "login", "--user", "stat", "--password-stdin", stdin=""), "No password came on standard input")
    with Store.open(db) as store:
        assert store.scalar("SELECT failed_attempts FROM users WHERE user_name = 'stat'") == 1  # the empty one did not count
        failed = store.query("SELECT reason, new_value FROM audit_trail WHERE user_name = 'stat' AND action = 'SIGN_IN_FAILED'")
        assert failed.values.tolist() == [["wrong password", "command line"]]
        assert store.scalar("SELECT count(*) FROM user_sessions") == 0


def test_five_failures_lock_the_account_out_and_end_its_sessions_on_the_command_line_and_in_the_browser(db, tmp_path):
    mine, attacker = tmp_path / "stat-home", tmp_path / "someone-else"
    assert login(db, mine, "stat").returncode == 0
    with Store.open(db) as store:
        browser = start_session(store, sign_in(store, "stat", TEAM_PASSWORD))  # stat is signed in in a browser too
    assert trial(db, mine, "audit", "--format", "csv").returncode == 0
    for attempt in range(4):
        _refused(login(db, attacker, "stat", WRONG), "The name or the password is wrong.")
        assert trial(db, mine, "audit", "--verify").returncode == 0, attempt  # not yet
    _refused(login(db, attacker, "stat", WRONG), "Too many failed sign-ins: the account is locked for 15 minutes.")
    _refused(trial(db, mine, "audit", "--verify"),
             "Your session as stat has ended: the account was locked out after five failed sign-ins or signatures in a row. "
             "Log in again with `trial login --user stat`.")
    _refused(login(db, mine, "stat"), "Too many failed sign-ins: the account is locked until")  # even the right password
    with Store.open(db) as store:
        assert session_user(store, browser) is None
        assert why_session_ended(store, browser).startswith("the account was locked out")
        assert store.scalar("SELECT count(*) FROM user_sessions WHERE user_name = 'stat' AND ended_at IS NULL") == 0
        with store.transaction() as cur:  # fifteen minutes later the lock-out is over, but the ended sessions stay ended
            cur.execute("UPDATE users SET locked_until = now() - INTERVAL 1 MINUTE WHERE user_name = 'stat'")
        assert session_user(store, browser) is None
    _refused(trial(db, mine, "audit", "--verify"), "Your session as stat has ended: the account was locked out")
    assert login(db, mine, "stat").returncode == 0 and trial(db, mine, "audit", "--verify").returncode == 0


def test_a_session_of_an_account_locked_out_now_is_refused_even_if_nothing_ended_it(db, tmp_path):
    """The lock-out is checked at every use, not only when it is set (say a lock-out written by an older version)."""
    home = tmp_path / "home"
    assert login(db, home, "stat").returncode == 0
    with Store.open(db) as store, store.transaction() as cur:
        cur.execute("UPDATE users SET locked_until = now() + INTERVAL 10 MINUTE WHERE user_name = 'stat'")
    _refused(trial(db, home, "audit"), "the account was locked out")


def test_a_session_that_has_run_out_is_refused(db, tmp_path):
    home = tmp_path / "home"
    assert login(db, home, "stat").returncode == 0
    with Store.open(db) as store, store.transaction() as cur:
        cur.execute("UPDATE user_sessions SET expires_at = now() - INTERVAL 1 SECOND WHERE user_name = 'stat'")
    _refused(trial(db, home, "audit"), "Your session as stat has ended: it ran out (a session lasts 8 hours). "
                                       "Log in again with `trial login --user stat`.")


def test_logout_ends_the_session_and_removes_the_token_file(db, tmp_path):
    home = tmp_path / "home"
    assert login(db, home, "stat").returncode == 0
    path = session_file.session_path(home, db)
    token = json.loads(path.read_text())["token"]
    done = trial(db, home, "logout")
    assert done.returncode == 0 and done.stdout == f"Logged out of {db}: the session of stat has ended and its token file is removed.\n"
    assert not path.exists()
    with Store.open(db) as store:
        assert session_user(store, token) is None
        assert store.query("SELECT ended_why FROM user_sessions").ended_why.tolist() == ["signed out"]
    _refused(trial(db, home, "audit"), "Nobody is logged in to this study: log in first with `trial login --user NAME`.")
    again = trial(db, home, "logout")
    assert again.returncode == 0 and again.stdout == f"Nobody is logged in to {db} from here: there was no session to end.\n"


def test_a_disabled_account_loses_its_sessions_at_once_and_cannot_log_in(db, tmp_path):
    admin, mine = tmp_path / "ada-home", tmp_path / "stat-home"
    assert login(db, admin, "ada").returncode == 0 and login(db, mine, "stat").returncode == 0
    with Store.open(db) as store:
        browser = start_session(store, sign_in(store, "stat", TEAM_PASSWORD))
    disabled = trial(db, admin, "users", "disable", "stat")
    assert disabled.returncode == 0
    assert disabled.stdout == "stat is disabled: stat can no longer sign in, and every session of stat has ended.\n"
    _refused(trial(db, mine, "audit"), "Your session as stat has ended: the account was disabled by an administrator.")
    _refused(login(db, mine, "stat"), "This account is disabled; ask an administrator.")
    with Store.open(db) as store:
        assert session_user(store, browser) is None
    assert trial(db, admin, "users", "enable", "stat").returncode == 0
    _refused(trial(db, mine, "audit"), "Your session as stat has ended")  # enabling again does not revive a session
    assert login(db, mine, "stat").returncode == 0 and trial(db, mine, "audit", "--verify").returncode == 0


def test_an_administrators_password_reset_ends_the_accounts_sessions(db, tmp_path):
    admin, mine = tmp_path / "ada-home", tmp_path / "stat-home"
    assert login(db, admin, "ada").returncode == 0 and login(db, mine, "stat").returncode == 0
    reset = trial(db, admin, "users", "password", "stat", "--password-stdin", stdin="a brand new password\n")
    assert reset.returncode == 0 and "any session of stat has ended" in reset.stdout
    _refused(trial(db, mine, "audit"), "Your session as stat has ended: an administrator set a new password for the account.")
    _refused(login(db, mine, "stat"), "The name or the password is wrong.")
    assert login(db, mine, "stat", "a brand new password").returncode == 0


def test_a_name_typed_is_a_check_of_the_session_never_a_way_in(db, tmp_path):
    home = tmp_path / "home"
    _refused(trial(db, home, "tables", "--out", tmp_path / "pack", "--user", "stat"),
             "stat is not logged in to this study: log in first with `trial login --user stat`.")
    _refused(trial(db, home, "audit", env={"TRIAL_USER": "stat"}), "stat is not logged in to this study")
    assert login(db, home, "sam").returncode == 0
    _refused(trial(db, home, "audit", "--user", "stat"),
             "You are logged in as sam, not stat: to act as stat, `trial logout` and `trial login --user stat`.")
    _refused(trial(db, home, "audit", env={"TRIAL_USER": "stat"}), "You are logged in as sam, not stat")
    assert trial(db, home, "uploads", "--user", "sam").returncode == 0
    with Store.open(db) as store:
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE user_name = 'stat' AND action <> 'USER_ADD'") == 0


def test_a_session_belongs_to_one_database(db, tmp_path):
    home, other = tmp_path / "home", tmp_path / "copy" / "study.duckdb"
    other.parent.mkdir()
    shutil.copy(db, other)  # the same accounts, another file
    assert login(db, home, "stat").returncode == 0
    _refused(trial(other, home, "audit"), "Nobody is logged in to this study")
    relative = trial(os.path.relpath(db), home, "audit", "--verify")  # another spelling of the same file
    assert relative.returncode == 0, _said(relative)


def test_a_token_file_others_can_read_is_not_used_and_a_new_login_replaces_it(db, tmp_path):
    home = tmp_path / "home"
    assert login(db, home, "stat").returncode == 0
    path = session_file.session_path(home, db)
    old = json.loads(path.read_text())["token"]
    path.chmod(0o644)
    _refused(trial(db, home, "audit"), "can be read by others, so its token is no longer secret")
    assert login(db, home, "stat").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Store.open(db) as store:
        assert session_user(store, old) is None  # the exposed token was ended, not left alive
    assert trial(db, home, "audit", "--verify").returncode == 0


def test_logging_in_again_ends_the_previous_session(db, tmp_path):
    home = tmp_path / "home"
    assert login(db, home, "stat").returncode == 0
    first = json.loads(session_file.session_path(home, db).read_text())["token"]
    assert login(db, home, "mona").returncode == 0
    with Store.open(db) as store:
        assert session_user(store, first) is None
        assert store.scalar("SELECT count(*) FROM user_sessions WHERE ended_at IS NULL") == 1


def test_a_study_without_accounts_has_nothing_to_log_in_to_and_stays_open(tmp_path):
    from helpers import new_store

    db, home = tmp_path / "open.duckdb", tmp_path / "home"
    new_store(db).close()
    _refused(login(db, home, "anyone"), "This study has no accounts yet, so there is nothing to log in to")
    listed = trial(db, home, "audit", "--user", "anyone")
    assert listed.returncode == 0 and "INIT" in listed.stdout
    assert not home.exists()
