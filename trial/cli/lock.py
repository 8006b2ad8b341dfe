"""`trial lock` and `trial unlock`: database lock, signed with the password."""

from __future__ import annotations

import sys

import click

from trial.cli.common import (
    acting_store,
    db_option,
    reports_errors,
    user_option,
)

_SIGN_HELP = "Read your password (the electronic signature) from standard input instead of asking."


def _signature(store, password_stdin: bool) -> str | None:
    """The signer's password, once the study has accounts (an open study has nobody to sign)."""
    from trial.governance.users import has_accounts

    if not has_accounts(store):
        return None
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password (your electronic signature)", hide_input=True, err=True)


@click.command("lock")
@click.option("--reason", required=True, help="Why the database is locked (e.g. final data review complete).")
@click.option("--password-stdin", is_flag=True, help=_SIGN_HELP)
@user_option
@db_option
@reports_errors
def lock_command(reason, password_stdin, user, db):
    """Lock the database (a statistician or administrator, signing with their password):
    uploads and corrections are refused until it is unlocked."""
    from trial.governance.lock import signed_lock

    with acting_store(db, user) as (store, who):
        click.echo(signed_lock(store, who, reason=reason, password=_signature(store, password_stdin)).sentence)


@click.command("unlock")
@click.option("--reason", required=True, help="Why the database is unlocked (e.g. query found after lock).")
@click.option("--password-stdin", is_flag=True, help=_SIGN_HELP)
@user_option
@db_option
@reports_errors
def unlock_command(reason, password_stdin, user, db):
    """Unlock a locked database (signed, with a reason kept in the audit trail)."""
    from trial.governance.lock import signed_unlock

    with acting_store(db, user) as (store, who):
        signed_unlock(store, who, reason=reason, password=_signature(store, password_stdin))
        click.echo(f"The database is unlocked; uploads and corrections are accepted again (by {who.user_name}: {reason}).")
