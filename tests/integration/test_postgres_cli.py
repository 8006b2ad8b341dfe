"""`--db postgresql://…` on the command line and in the dashboards: `trial init` creates the study
on PostgreSQL; every other command and page says, in a sentence, that it does not run there yet;
and no message ever shows the URL's password."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from helpers import APP, APP_TIMEOUT
from trial.cli import main
from trial.errors import TrialError
from trial.settings import Settings
from trial.study import builtin_study_text, parse_study

_numbers = itertools.count(1)
SECRET = "s3cret-Pa55"


def _trial(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def empty_study_database(pg_cluster) -> str:
    url, _ = pg_cluster.new_database(f"cli{next(_numbers)}")
    return url


def test_init_creates_the_study_on_postgresql_once(empty_study_database):
    url = empty_study_database
    password = url.split(":")[2].split("@")[0]
    made = _trial("init", "--db", url, "--user", "admin")
    assert made.exit_code == 0, made.output
    assert "for study" in made.output and "***" in made.output and password not in made.output
    with psycopg.connect(url) as con:
        assert con.execute("SELECT user_name, action FROM audit_trail").fetchall() == [("admin", "INIT")]
        assert con.execute("SELECT count(*) FROM study_sites").fetchone()[0] == len(parse_study(builtin_study_text("demo")).sites)
    again = _trial("init", "--db", url)
    assert again.exit_code == 2 and "already holds a study" in again.output and password not in again.output


@pytest.mark.parametrize("command", [["login", "--user", "sam", "--password-stdin"], ["logout"], ["demo", "--no-serve"]])
def test_the_other_commands_say_they_do_not_run_there_yet(command, tmp_path):
    url = f"postgresql://sam:{SECRET}@127.0.0.1:1/study"
    done = _trial(*command, "--db", url)
    assert done.exit_code == 2, done.output
    assert "is a study on PostgreSQL" in done.output and "Traceback" not in done.output
    assert SECRET not in done.output and "postgresql://sam:***@127.0.0.1:1/study" in done.output


def test_an_unreachable_server_or_a_wrong_password_is_a_sentence(pg_cluster, empty_study_database):
    wrong = empty_study_database.replace(empty_study_database.split(":")[2].split("@")[0], SECRET)
    for url, says in ((wrong, "refused the password of"), (f"postgresql://owner:{SECRET}@127.0.0.1:1/nowhere",
                                                          "Could not reach the PostgreSQL study")):
        done = _trial("init", "--db", url)
        assert done.exit_code == 2 and says in done.output, done.output
        assert SECRET not in done.output and "Traceback" not in done.output


@pytest.mark.parametrize(("url", "says"), [("postgresql://sam:pw@/study", "names no host"),
                                           ("postgresql://sam:pw@host", "names no database name"),
                                           ("postgres://sam:pw@host:port/db", "is not a PostgreSQL URL")])
def test_a_malformed_url_is_named_without_its_password(url, says):
    with pytest.raises(TrialError, match=says) as raised:
        Settings.from_env(db=url)
    assert ":pw@" not in str(raised.value) and "***" in str(raised.value)


def test_a_file_path_is_still_the_embedded_database(tmp_path):
    settings = Settings.from_env(db=str(tmp_path / "postgresql.duckdb"))
    assert settings.db_url is None and settings.db_path == tmp_path / "postgresql.duckdb"


def test_serve_and_the_dashboards_say_in_a_sentence_that_the_server_is_unreachable(monkeypatch):
    url = f"postgresql://sam:{SECRET}@127.0.0.1:1/study"
    done = _trial("serve", "--db", url)
    assert done.exit_code == 2 and "Could not reach the PostgreSQL study" in done.output, done.output
    assert SECRET not in done.output and "Traceback" not in done.output
    monkeypatch.setenv("TRIAL_DB", url)
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
    shown = " ".join(e.value for e in at.error)
    assert "Could not reach the PostgreSQL study" in shown and SECRET not in shown and not at.exception


def test_a_study_on_postgresql_from_init_to_the_pack_with_the_command_line_alone(pg_cluster, empty_study_database, tmp_path):
    """What a data manager does: create the study, add the accounts (as the owner, the system's login),
    then each person works under their own name and password: the site loads, the statistician builds
    the pack; nobody else can add accounts."""
    from helpers import study_files

    owner = empty_study_database
    name = owner.rsplit("/", 1)[1]
    assert _trial("init", "--db", owner).exit_code == 0
    password = "a long enough password"
    for person, role, site in ((f"{name}_sam", "SITE_STAFF", "S01"), (f"{name}_stat", "STATISTICIAN", None)):
        args = ["users", "add", person, "--role", role, "--password-stdin", "--db", owner] + (["--site", site] if site else [])
        added = CliRunner().invoke(main, args, input=password + "\n")
        assert added.exit_code == 0 and "and its PostgreSQL role" in added.output, added.output
    listed = _trial("users", "--db", owner)
    assert listed.exit_code == 0 and f"{name}_sam" in listed.output and f"{name}_stat" in listed.output
    sam, stat = (pg_cluster.url(f"{name}_{p}", password, name) for p in ("sam", "stat"))
    for kind, data in zip(("subjects", "randomization"), study_files(30), strict=True):
        (tmp_path / f"{kind}.csv").write_bytes(data)
    loaded = _trial("load", str(tmp_path / "subjects.csv"), str(tmp_path / "randomization.csv"), "--db", sam)
    assert loaded.exit_code == 0 and loaded.output.count("loaded as upload") == 2, loaded.output
    pack = _trial("tables", "--out", str(tmp_path / "pack"), "--db", stat)
    assert pack.exit_code == 0 and (tmp_path / "pack" / "ard.csv").is_file(), pack.output
    shown = _trial("uploads", "--db", sam)  # a site reads its own uploads
    assert shown.exit_code == 0 and "subjects.csv" in shown.output and "randomization.csv" in shown.output, shown.output
    refused = CliRunner().invoke(main, ["users", "add", f"{name}_eve", "--role", "MONITOR", "--password-stdin", "--db", stat],
                                 input=password + "\n")
    assert refused.exit_code == 2 and "may not manage accounts" in refused.output, refused.output
    again = CliRunner().invoke(main, ["users", "add", f"{name}_sam", "--role", "MONITOR", "--password-stdin", "--db", owner],
                               input=password + "\n")
    assert again.exit_code == 2 and "already an account" in again.output
    with psycopg.connect(owner) as con:
        trail = con.execute("SELECT user_name, action, table_name FROM audit_trail ORDER BY audit_id").fetchall()
    assert (f"{name}_owner", "USER_ADD", "users") in trail and (f"{name}_sam", "INSERT", "subjects") in trail
    assert not [row for row in trail if row[1].startswith("DIRECT_")]  # every write went through the system
    assert (f"{name}_stat", "EXPORT", None) in trail


def test_the_owner_changes_an_accounts_password_site_and_access_and_its_role_follows(pg_cluster, empty_study_database,
                                                                                      tmp_path):
    """`trial users password | roles | disable | enable` on PostgreSQL, as the owner: the account's row
    and its role change together (its login, its password, the rows it may read); an administrator's
    own URL cannot change roles (only the owner may), and every change is in the trail."""
    from helpers import study_files

    owner = empty_study_database
    name = owner.rsplit("/", 1)[1]
    assert _trial("init", "--db", owner).exit_code == 0
    old, new = "the first password", "the second password"
    for person, role, site in (("sam", "SITE_STAFF", "S01"), ("ada", "ADMIN", None), ("sue", "SITE_STAFF", "S02")):
        args = ["users", "add", f"{name}_{person}", "--role", role, "--password-stdin", "--db", owner] + (
            ["--site", site] if site else [])
        assert CliRunner().invoke(main, args, input=old + "\n").exit_code == 0
    sam = f"{name}_sam"
    files = study_files(20)
    with psycopg.connect(pg_cluster.url(sam, old, name)):
        pass  # sam logs in with the first password

    changed = CliRunner().invoke(main, ["users", "password", sam, "--password-stdin", "--db", owner], input=new + "\n")
    assert changed.exit_code == 0, changed.output
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg_cluster.url(sam, old, name))
    psycopg.connect(pg_cluster.url(sam, new, name)).close()

    moved = _trial("users", "roles", sam, "--role", "SITE_STAFF", "--site", "S02", "--db", owner)
    assert moved.exit_code == 0 and "S02" in moved.output, moved.output
    with psycopg.connect(owner) as con:
        site, writes = con.execute("SELECT site_id, writes FROM account_roles WHERE role_name = %s", (sam,)).fetchone()
    assert site == "S02" and "hair_counts" in writes
    (tmp_path / "subjects.csv").write_text(files[0].decode().replace("S01", "S02"))  # sam now sends S02's subjects
    loaded = _trial("load", str(tmp_path / "subjects.csv"), "--db", pg_cluster.url(sam, new, name))
    assert loaded.exit_code == 0 and "loaded as upload" in loaded.output, loaded.output

    admin = pg_cluster.url(f"{name}_ada", old, name)
    refused = _trial("users", "disable", sam, "--db", admin)
    assert refused.exit_code == 2 and "study's owner" in refused.output and "Traceback" not in refused.output, refused.output
    with psycopg.connect(owner) as con:
        assert con.execute("SELECT active FROM users WHERE user_name = %s", (sam,)).fetchone()[0] is True

    held = psycopg.connect(pg_cluster.url(sam, new, name), autocommit=True)  # a connection of sam's left open
    disabled = _trial("users", "disable", sam, "--db", owner)
    assert disabled.exit_code == 0, disabled.output
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(pg_cluster.url(sam, new, name))
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")  # ended with the account
    held.close()
    assert _trial("users", "enable", sam, "--db", owner).exit_code == 0
    psycopg.connect(pg_cluster.url(sam, new, name)).close()
    with psycopg.connect(owner) as con:
        trail = con.execute("SELECT user_name, action, record_key, column_name, new_value FROM audit_trail "
                            "WHERE record_key = %s ORDER BY audit_id", (sam,)).fetchall()
    actions = [row[1] for row in trail]
    for action in ("USER_PASSWORD", "USER_ROLES", "USER_DISABLE", "USER_ENABLE"):
        assert action in actions, (action, trail)
    assert (f"{name}_owner", "CORRECT", sam, "site_id", "S02") in trail  # the trigger saw the row change too
    assert not any(action.startswith("DIRECT_") for action in actions)


def test_the_lock_on_the_command_line_is_signed_with_the_password_the_server_checks(pg_cluster, empty_study_database, tmp_path):
    """`trial lock` / `unlock` on PostgreSQL, as the statistician's own role: the signature is the
    account's password, checked by the server (the role reads no hashes); a wrong one is refused and
    kept in the trail as a failed signature; while locked, the site's load is refused; a site account
    may not lock; nothing printed quotes the password."""
    from helpers import study_files

    owner = empty_study_database
    name = owner.rsplit("/", 1)[1]
    assert _trial("init", "--db", owner).exit_code == 0
    password = "a long enough password"
    for person, role, site in (("sam", "SITE_STAFF", "S01"), ("stat", "STATISTICIAN", None)):
        args = ["users", "add", f"{name}_{person}", "--role", role, "--password-stdin", "--db", owner] + (["--site", site] if site else [])
        assert CliRunner().invoke(main, args, input=password + "\n").exit_code == 0
    sam, stat = (pg_cluster.url(f"{name}_{p}", password, name) for p in ("sam", "stat"))
    (tmp_path / "subjects.csv").write_bytes(study_files(5)[0])

    def sign(command: str, url: str, typed: str):
        return CliRunner().invoke(main, [command, "--reason", f"{command} review", "--password-stdin", "--db", url], input=typed + "\n")

    wrong = sign("lock", stat, "not my password")
    assert wrong.exit_code == 2 and "password is wrong" in wrong.output and "Traceback" not in wrong.output, wrong.output
    refused = sign("lock", sam, password)
    assert refused.exit_code == 2 and "may not lock" in refused.output, refused.output
    locked = sign("lock", stat, password)
    assert locked.exit_code == 0 and "was locked" in locked.output and password not in locked.output, locked.output
    held = _trial("load", str(tmp_path / "subjects.csv"), "--db", sam)
    assert held.exit_code == 2 and "locked" in held.output, held.output
    unlocked = sign("unlock", stat, password)
    assert unlocked.exit_code == 0 and "unlocked" in unlocked.output, unlocked.output
    loaded = _trial("load", str(tmp_path / "subjects.csv"), "--db", sam)
    assert loaded.exit_code == 0 and "loaded as upload" in loaded.output, loaded.output
    with psycopg.connect(owner) as con:
        trail = con.execute("SELECT user_name, action, new_value, reason FROM audit_trail WHERE user_name = %s "
                            "AND action <> 'INSERT' ORDER BY audit_id", (f"{name}_stat",)).fetchall()
    assert [row[1] for row in trail] == ["E_SIGNATURE_FAILED", "E_SIGNATURE", "LOCK", "E_SIGNATURE", "UNLOCK"], trail
    assert trail[0][3] == "wrong password" and trail[1][2] == "lock the database: lock review"
