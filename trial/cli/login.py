"""``trial login`` and ``trial logout``: the command line's session, as the browser's sign-in.

Login checks the password with :func:`trial.governance.users.sign_in` (argon2, lock-out after five failures,
audited) and keeps the session's token in a file only its owner can read
(:mod:`trial.governance.session_file`); every later command on that database acts as that account
(``trial.cli.common.acting``). The session lasts as long as a browser's and ends at logout, or at
once when the account is locked out, disabled or given a new password.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from trial.cli.common import db_option, reports_errors, settings_of
from trial.errors import TrialError


@click.command("login")
@click.option("--user", default=None, help="Your account (default: $TRIAL_USER, else your login name).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts) instead of asking.")
@db_option
@reports_errors
def login(user, password_stdin, db):
    """Log in to a study's database: your password is checked and a session (8 hours) is kept for
    the commands that follow, which then act as you."""
    from trial.governance import session_file
    from trial.governance.users import SESSION_LENGTH, end_session, has_accounts, sign_in, start_session
    from trial.store import Store

    settings = settings_of(db, user)
    with Store.open(settings.db_path) as store:
        if not has_accounts(store):
            raise TrialError("This study has no accounts yet, so there is nothing to log in to and every command acts openly; "
                             "add the first, an administrator, with `trial users add NAME --role ADMIN`.")
        password = _password(password_stdin, settings.user)
        who = sign_in(store, settings.user, password, via="command line")
        until = dt.datetime.now(dt.UTC) + SESSION_LENGTH
        token = start_session(store, who)
        previous = _saved(settings)
        try:
            path = session_file.save(settings.home, settings.db_path, who.user_name, token)
        except OSError as exc:
            end_session(store, token)  # nobody could use it
            raise TrialError(f"The session cannot be kept in {session_file.session_path(settings.home, settings.db_path).parent} "
                             f"({exc.strerror or exc}): set TRIAL_HOME to a folder of yours and log in again.") from None
        if previous is not None and previous.token != token:
            end_session(store, previous.token)  # one session per database and person at a time
    where = "all sites" if who.sites is None else "site " + ", ".join(sorted(who.sites))
    click.echo(f"Logged in to {settings.db_path} as {who.user_name} ({', '.join(sorted(who.roles))}, {where}) "
               f"until {until:%Y-%m-%d %H:%M} UTC; the session token is kept in {path}.")


def _password(from_stdin: bool, user_name: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise TrialError("No password came on standard input; pipe it in, e.g. `trial login --user NAME --password-stdin < file`.")
        return password
    return click.prompt(f"Password of {user_name}", hide_input=True, err=True)


def _saved(settings):
    """The session file of this database, if one is there (also one others could read: its
    session is ended at logout, or when a new login replaces it)."""
    from trial.governance import session_file

    return session_file.load(settings.home, settings.db_path, private=False)


@click.command("logout")
@db_option
@reports_errors
def logout(db):
    """Log out of a study's database: the session ends and its token file is removed."""
    from trial.governance import session_file
    from trial.governance.users import end_session
    from trial.store import Store

    settings = settings_of(db)
    saved = _saved(settings)
    if saved is None:
        had_file = session_file.remove(settings.home, settings.db_path)
        click.echo(f"Logged out of {settings.db_path}: its unreadable session file is removed." if had_file
                   else f"Nobody is logged in to {settings.db_path} from here: there was no session to end.")
        return
    try:
        with Store.open(settings.db_path) as store:
            end_session(store, saved.token)
    except TrialError as exc:
        session_file.remove(settings.home, settings.db_path)
        raise TrialError(f"The token file of {saved.user_name}'s session is removed, so nobody can use it again, but the database "
                         f"could not record the logout ({exc}).") from None
    session_file.remove(settings.home, settings.db_path)
    click.echo(f"Logged out of {settings.db_path}: the session of {saved.user_name} has ended and its token file is removed.")
