"""What every ``trial`` command shares: the --db, --user and --format options, errors as one
sentence with exit code 2, a reader that stops early (``trial audit | head``), the settings, the
account a command acts as and that account's view of the store, and printing a table. Every
module of :mod:`trial.cli` imports it; it imports none of them."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import sys
from functools import wraps

import click

from trial.errors import TrialError

EXIT_REJECTED = 1
EXIT_PROBLEM = 2


def db_option(func):
    return click.option(
        "--db",
        "db",
        default=None,
        help="The study's database: a file (default: $TRIAL_DB, else ./trial.duckdb), or a PostgreSQL study as "
        "postgresql://USER:PASSWORD@HOST:PORT/NAME.",
    )(func)


def format_option(*choices: str):
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True, help="Output format."
    )


class TrialGroup(click.Group):
    """The ``trial`` command: when whoever reads its output stops early (``trial uploads | head -1``),
    it ends as if it had finished: the exit code it would have had, nothing on stderr. Help and
    usage (written while parsing) and every command's output, up to the flush before exit, pass
    through here."""

    def make_context(self, *args, **kwargs):
        with _until_output_closes():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _until_output_closes():
            try:
                return super().invoke(ctx)
            finally:  # on an exit too: flushed here, not at interpreter exit, where a closed pipe cannot be handled
                sys.stdout.flush()


def finishes_with(code: int) -> None:
    """The exit code of the command in progress, should its output close before it is all written."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta["trial.exit_code"] = code


@contextlib.contextmanager
def _until_output_closes():
    try:
        yield
    except OSError as exc:
        closed = _closed_outputs() if exc.errno == errno.EPIPE else []
        if not closed:
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in closed:  # what is still buffered for them goes nowhere, and quietly
            os.dup2(devnull, fd)
        ctx = click.get_current_context(silent=True)
        raise click.exceptions.Exit(ctx.meta.get("trial.exit_code", 0) if ctx else 0) from None


def _closed_outputs() -> list[int]:
    """The descriptors of stdout and stderr whose reader has gone (a pipe polls as an error then)."""
    poller, fds = select.poll(), []
    for stream in (sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            fds.append(stream.fileno())
            poller.register(fds[-1], select.POLLOUT)
    return [fd for fd, event in poller.poll(0) if fd in fds and event & (select.POLLERR | select.POLLHUP)]


def _fail(message: str, code: int):
    finishes_with(code)
    click.echo(message, err=True)
    sys.exit(code)


def reports_errors(func):
    """Turn library errors into one sentence and exit code 2; unexpected ones into a short notice.
    A closed output goes on to :class:`TrialGroup`, which ends the command quietly."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except BrokenPipeError:
            if _closed_outputs():
                raise
            _fail("Unexpected error (BrokenPipeError): a program this command wrote to stopped reading. "
                  "Set TRIAL_DEBUG=1 to see the details, and report it with the command you ran.", EXIT_PROBLEM)
        except TrialError as exc:
            _fail(f"Error: {exc}", EXIT_PROBLEM)
        except KeyboardInterrupt:
            _fail("Interrupted: nothing of the file in progress was loaded.", 130)
        except Exception as exc:
            if os.environ.get("TRIAL_DEBUG"):
                raise
            finishes_with(EXIT_PROBLEM)
            click.echo(
                f"Unexpected error ({type(exc).__name__}: {exc}). Nothing was changed by the step that failed. "
                "Set TRIAL_DEBUG=1 to see the details, and report it with the command you ran.",
                err=True,
            )
            sys.exit(EXIT_PROBLEM)

    return wrapper


def settings_of(db, user=None, *, on_server: bool = False):
    """The settings of this command; a study on PostgreSQL is refused with a sentence unless the
    command runs there (``on_server``)."""
    from trial.settings import Settings, not_yet_on_server

    settings = Settings.from_env(db=db, user=user)
    if settings.db_url is not None and not on_server:
        raise not_yet_on_server(settings.db_shown)
    return settings


def user_option(func):
    return click.option("--user", default=None, help="Who you are: the account you logged in as with `trial login` "
                        "(default: $TRIAL_USER; before a study has accounts, your login name).")(func)


def acting(store, settings, permission=None):
    """The account the command acts as, once it may do ``permission``: the account of the session
    ``trial login`` kept for this database (see trial.governance.users.acting_user; --user only checks it)."""
    from trial.governance import session_file
    from trial.governance.access import require
    from trial.governance.users import acting_user, has_accounts

    saved = session_file.load(settings.home, settings.db_path) if has_accounts(store) else None
    who = acting_user(store, saved.token if saved else None, named=settings.named_user, open_name=settings.user)
    if permission is not None:
        require(who, permission)
    return who


@contextlib.contextmanager
def acting_store(db, user, permission=None, *, read_only: bool = False, owner_acts: bool = False):
    """The database of --db, open, with the account the command acts as (once it may do
    ``permission``): ``with acting_store(db, user, Permission.X) as (store, who): …``. On PostgreSQL,
    the account whose role the URL signs in as, reading what the database lets that role read (the
    study's owner, the system's login, acts as an administrator where ``owner_acts``: accounts)."""
    from trial.store import Store

    settings = settings_of(db, user, on_server=True)
    if settings.db_url is not None:  # the account is the role PostgreSQL signed in with the URL's password
        from trial.governance.access import require
        from trial.governance.database_roles import role_account
        from trial.store.server import ServerStore

        with ServerStore.open(settings.db_url) as store:
            who = role_account(store, named=settings.named_user, owner_acts=owner_acts)
            if permission is not None:
                require(who, permission)
            yield store, who
        return
    with Store.open(settings.db_path, read_only=read_only) as store:
        yield store, acting(store, settings, permission)


def as_seen_by(store, who):
    """The store as ``who`` may read it: their sites; pooled when blinded."""
    from trial.governance.access import Access
    from trial.governance.views import scoped

    return scoped(store, Access.of(who))


def emit(frame, fmt: str) -> None:
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        click.echo(json.dumps(records, indent=2, default=str, ensure_ascii=False))
    elif fmt == "csv":
        from trial.csv_safe import write_csv

        click.echo(write_csv(frame), nl=False)
    else:
        import pandas as pd

        shown = frame.astype(object).where(frame.notna(), "")
        with pd.option_context("display.max_colwidth", 80, "display.width", 250):
            click.echo(shown.to_string(index=False))
