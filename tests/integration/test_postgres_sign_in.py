"""Signing in to a study on PostgreSQL, as the dashboards do: the server logs in as the study's owner,
checks passwords on a copy of the accounts' tables, keeps sessions in the database (so that every
server knows them), and acts as each signed-in account's role. The attacks: a wrong password that
leaves no trace, an account's login that acts as another, a copy that holds a password's hash, a
role's write to a table its account may not change."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner
from helpers import TEAM_PASSWORD
from postgres import server_twin

from trial.cli import main
from trial.errors import TrialError
from trial.governance import users
from trial.governance.access import SITE_TABLES
from trial.store import Store
from trial.store.server import ServerStore

NAME = "signin"


@pytest.fixture(scope="module")
def study(pg_cluster, team_db):
    """The team's study on PostgreSQL: (cluster, account → role, the owner's URL)."""
    with Store.open(team_db, read_only=True) as store:
        owner, roles = server_twin(pg_cluster, NAME, store, TEAM_PASSWORD)
    return pg_cluster, roles, owner


def _trail(owner: str, since: int) -> list[tuple]:
    with psycopg.connect(owner) as con:
        return con.execute("SELECT user_name, action, table_name, column_name, old_value, new_value FROM audit_trail "
                           "WHERE audit_id > %s ORDER BY audit_id", (since,)).fetchall()


def _last_audit(owner: str) -> int:
    with psycopg.connect(owner) as con:
        return con.execute("SELECT max(audit_id) FROM audit_trail").fetchone()[0]


def test_a_session_started_by_one_server_is_known_to_another_and_ends_for_both(study):
    _, roles, owner = study
    with ServerStore.for_sign_in(owner) as one, ServerStore.for_sign_in(owner) as other:
        token = users.start_session(one, users.sign_in(one, roles["sam"], TEAM_PASSWORD))
        other.refresh()
        assert users.session_user(other, token).user_name == roles["sam"]
        users.end_session(other, token)
        one.refresh()
        assert users.session_user(one, token) is None
        assert users.why_session_ended(one, token) == "it was signed out"


def test_a_wrong_password_is_counted_and_audited_in_the_database_and_the_fifth_locks_out(study):
    _, roles, owner = study
    mona, since = roles["mona"], _last_audit(owner)
    with ServerStore.for_sign_in(owner) as accounts:
        token = users.start_session(accounts, users.sign_in(accounts, mona, TEAM_PASSWORD))
        for _ in range(4):
            with pytest.raises(users.SignInRefused, match="The name or the password is wrong"):
                users.sign_in(accounts, mona, "not the password")
        with pytest.raises(users.SignInRefused, match="locked for"):
            users.sign_in(accounts, mona, "not the password")
        with pytest.raises(users.SignInRefused, match="locked until"):
            users.sign_in(accounts, mona, TEAM_PASSWORD)  # the right password, too late
        assert users.session_user(accounts, token) is None  # the lock-out ended the live session
    with psycopg.connect(owner) as con:
        locked_until, ended = con.execute("SELECT u.locked_until, s.ended_why FROM users AS u JOIN user_sessions AS s "
                                          "USING (user_name) WHERE u.user_name = %s", (mona,)).fetchone()
    assert locked_until is not None and ended == users.LOCKED_OUT
    actions = [(who, action) for who, action, *_ in _trail(owner, since)]
    assert actions.count((mona, "SIGN_IN_FAILED")) == 6 and (mona, "SIGN_IN") in actions
    counted = [row for row in _trail(owner, since) if row[1] == "CORRECT" and row[3] == "failed_attempts"]
    assert [(old, new) for *_, old, new in counted][:4] == [("0", "1"), ("1", "2"), ("2", "3"), ("3", "4")]


def test_the_owner_acts_as_a_site_account_and_reads_what_its_role_may_only(study):
    _, roles, owner = study
    with ServerStore.open(owner, acting_as=roles["sam"]) as sam:
        assert sam.role == roles["sam"]
        for table in SITE_TABLES:
            assert set(sam.query(f"SELECT DISTINCT site_id FROM {table}").site_id) <= {"S01"}, table
        assert sam.scalar("SELECT count(*) FROM subjects") > 0
        assert sam.scalar("SELECT count(password_hash) FROM users") == 0
        assert sam.scalar("SELECT count(*) FROM user_sessions") == 0
    with ServerStore.open(owner, acting_as=roles["eve"]) as eve:  # blinded evaluator: no arm at all
        assert eve.scalar("SELECT count(arm) FROM randomization") == 0
        assert eve.scalar("SELECT count(*) FROM adverse_events") == 0


def test_an_accounts_login_cannot_act_as_another_account(study):
    cluster, roles, _ = study
    with pytest.raises(TrialError, match="may not act as"):
        ServerStore.open(cluster.url(roles["sam"], TEAM_PASSWORD, NAME), acting_as=roles["stat"])


def test_a_write_the_role_may_not_make_is_refused_whole_with_a_sentence(study):
    _, roles, owner = study
    since = _last_audit(owner)
    with ServerStore.open(owner, acting_as=roles["sam"]) as sam:
        with pytest.raises(TrialError, match="The database refused .* that write"):
            users.set_active(sam, roles["mona"], False, by=roles["sam"])
    with psycopg.connect(owner) as con:
        assert con.execute("SELECT active FROM users WHERE user_name = %s", (roles["mona"],)).fetchone()[0] is True
    assert _trail(owner, since) == []


def test_a_password_is_never_checked_on_a_copy_without_its_hash(study):
    """An account's own connection reads no hashes: its own password is checked by the server (a
    sign-in with it: the command line's signature); another account's is never checked there."""
    cluster, roles, owner = study
    with ServerStore.open(cluster.url(roles["stat"], TEAM_PASSWORD, NAME)) as stat:
        with pytest.raises(TrialError, match="cannot be checked through this account's own connection"):
            users.sign(stat, roles["sam"], TEAM_PASSWORD, "lock the database: test")
        assert users.sign(stat, roles["stat"], TEAM_PASSWORD, "lock the database: test").user_name == roles["stat"]
        with pytest.raises(users.SignInRefused, match="password is wrong"):
            users.sign(stat, roles["stat"], "not the password", "lock the database: test")
    with ServerStore.open(owner, acting_as=roles["stat"]) as stat:  # the dashboards: checked as the owner
        assert stat.accounts is not stat
        assert users.sign(stat.accounts, roles["stat"], TEAM_PASSWORD, "lock the database: test").user_name == roles["stat"]
        with pytest.raises(users.SignInRefused):
            users.sign(stat.accounts, roles["stat"], "not the password", "lock the database: test")


def test_serve_refuses_an_accounts_url_with_a_sentence(study):
    cluster, roles, _ = study
    result = CliRunner().invoke(main, ["serve", "--db", cluster.url(roles["sam"], TEAM_PASSWORD, NAME)])
    assert result.exit_code != 0
    assert "the dashboards sign in as the study's owner" in result.output and TEAM_PASSWORD not in result.output
