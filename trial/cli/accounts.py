"""`trial users`: accounts, for an administrator (list, add, password, disable, enable, roles)."""

from __future__ import annotations

import contextlib
import sys

import click

from trial.cli.common import (
    acting_store,
    db_option,
    emit,
    reports_errors,
    user_option,
)
from trial.errors import TrialError


@click.group(invoke_without_command=True)
@user_option
@db_option
@click.pass_context
@reports_errors
def users(ctx, user, db):
    """Accounts (for an administrator): list them (default), add, disable, enable, set a password, set roles and site."""
    ctx.obj = {"db": db, "user": user}
    if ctx.invoked_subcommand is None:
        from trial.governance.access import Permission
        from trial.governance.users import list_users

        with acting_store(db, user, Permission.MANAGE_USERS, read_only=True, owner_acts=True) as (store, _):
            frame = list_users(store)
        if frame.empty:
            click.echo("No accounts yet. Add the first, an administrator: trial users add NAME --role ADMIN")
            return
        frame["roles"] = frame["roles"].map(lambda r: ",".join(r))
        emit(frame, "text")


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="ADMIN, SITE_STAFF, EVALUATOR, MONITOR or STATISTICIAN; repeat for several.")
@click.option("--site", default=None, help="The site of a SITE_STAFF or EVALUATOR account.")
@click.option("--full-name", default=None, help="The person's name as shown in the dashboards.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.option("--user", default=None, help="Who adds it (an ADMIN; default: $TRIAL_USER, else the login name).")
@db_option
@click.pass_context
@reports_errors
def users_add(ctx, name, roles, site, full_name, password_stdin, user, db):
    """Add an account with its roles (and site, for site staff and evaluators)."""
    from trial.governance.database_roles import add_account
    from trial.governance.users import Role

    with _managing(ctx, user, db) as (store, acting_as):
        # (on PostgreSQL the study's owner administers from the start)
        if not store.makes_roles and not store.scalar("SELECT count(*) FROM users") and Role.ADMIN not in {r.upper() for r in roles}:
            raise TrialError("The first account must be an administrator (--role ADMIN), who then adds the others.")
        made = add_account(store, name, _new_password(password_stdin), roles, site_id=site, full_name=full_name, by=acting_as)
        role_too = store.makes_roles
    what = f"{', '.join(sorted(made.roles))}, {made.site_id or 'all sites'}{', blinded' if made.blinded else ', unblinded'}"
    click.echo(f"Added {made.user_name} and its PostgreSQL role: {what}. It signs in with its name and password in the "
               "study's URL." if role_too else f"Added {made.user_name}: {what}.")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.option("--user", default=None, help="Who sets it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_password(ctx, name, password_stdin, user, db):
    """Set an account's password (and lift a lock-out); the account's sessions end."""
    from trial.governance.database_roles import change_password

    with _managing(ctx, user, db) as (store, acting_as):
        change_password(store, name, _new_password(password_stdin), by=acting_as)
    click.echo(f"The password of {name} is set and any session of {name} has ended; {name} logs in again with it.")


@users.command("disable")
@click.argument("name")
@click.option("--user", default=None, help="Who disables it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_disable(ctx, name, user, db):
    """Disable an account: it can no longer sign in, and its sessions end."""
    _set_active(ctx, name, user, db, active=False)


@users.command("enable")
@click.argument("name")
@click.option("--user", default=None, help="Who enables it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_enable(ctx, name, user, db):
    """Enable a disabled account again."""
    _set_active(ctx, name, user, db, active=True)


def _set_active(ctx, name: str, user: str | None, db, *, active: bool) -> None:
    from trial.governance.database_roles import change_active

    with _managing(ctx, user, db) as (store, acting_as):
        change_active(store, name, active, by=acting_as)
    click.echo(f"{name} is enabled and may sign in again." if active
               else f"{name} is disabled: {name} can no longer sign in, and every session of {name} has ended.")


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="ADMIN, SITE_STAFF, EVALUATOR, MONITOR or STATISTICIAN; repeat for several. They replace the account's roles.")
@click.option("--site", default=None, help="The site of a SITE_STAFF or EVALUATOR account (default: all sites).")
@click.option("--user", default=None, help="Who changes them (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_roles(ctx, name, roles, site, user, db):
    """Give an account new roles and site, in place of the old ones (its sessions carry on with them)."""
    from trial.governance.database_roles import change_roles

    with _managing(ctx, user, db) as (store, acting_as):
        changed = change_roles(store, name, roles, site_id=site, by=acting_as)
    click.echo(f"{name} now holds {', '.join(sorted(changed.roles))}, {changed.site_id or 'all sites'}.")


@contextlib.contextmanager
def _managing(ctx, user, db):
    """The store and the administrator's name, once the acting user may manage accounts (on
    PostgreSQL: the study's owner, the system's own login, which changes the accounts' roles)."""
    from trial.governance.access import Permission

    with acting_store(db or ctx.obj["db"], user or ctx.obj["user"], Permission.MANAGE_USERS, owner_acts=True) as (store, who):
        yield store, who.user_name
