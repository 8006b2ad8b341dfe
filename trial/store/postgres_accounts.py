"""Accounts of a study on PostgreSQL as roles of its database: each logs in with its account's password
and belongs to the groups, sites and writes its access allows (:mod:`trial.store.postgres` made the
groups and the policies that read ``account_roles``). Only the study's owner, the system's own
login, makes and changes them.
"""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from trial.errors import TrialError
from trial.store.postgres import Groups, database_name, role_exists

IDLE_IN_TRANSACTION_S = 60  # an account's transaction left open this long ends (and frees the trail's head)


def set_account_role(con: psycopg.Connection, name: str, password: str, *, site: str | None, blinded: bool,
                     assessments_only: bool, writes=(), acts=(), idle_s: int = IDLE_IN_TRANSACTION_S) -> None:
    """Make (or bring up to date) the PostgreSQL role of account ``name``: it logs in with the
    account's password (sent as a SCRAM verifier, never as text) and belongs to the groups its access
    allows. A role of that name that is not one of this study's accounts is refused: a study may not
    take over a role it did not make. ``writes``: the domains the account uploads (rows of its own
    site only); ``acts``: the permissions it holds that write (:data:`_ACTS`). A transaction the account leaves open ends after ``idle_s``
    seconds: it cannot hold the trail's head (which every writer takes in turn) for longer."""
    groups = Groups.of(database_name(con))
    known = con.execute("SELECT 1 FROM account_roles WHERE role_name = %s", (name,)).fetchone() is not None
    if role_exists(con, name) and not known:
        raise TrialError(f"{name} is already a PostgreSQL role that is not an account of this study; "
                         "choose another user name.")
    verifier = con.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
    with con.transaction():
        _write_account_role(con, name, verifier, groups, site=site, blinded=blinded, assessments_only=assessments_only,
                            writes=sorted(writes), acts=sorted(acts), known=known)
        con.execute(sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = {}").format(
            sql.Identifier(name), sql.Literal(f"{int(idle_s)}s")))


def _write_account_role(con: psycopg.Connection, name: str, verifier: str | None, groups: Groups, *, site: str | None,
                        blinded: bool, assessments_only: bool, writes: list[str], acts: list[str], known: bool) -> None:
    role = sql.Identifier(name)
    what = f"account {name}: site {site or 'all'}, {'blinded' if blinded else 'unblinded'}" + (
        ", assessments only" if assessments_only else "") + (f", uploads {', '.join(writes)}" if writes else "") + (
        f", may {', '.join(a.lower().replace('_', ' ') for a in acts)}" if acts else "")
    con.execute("SELECT set_config('trial.context', %s, true)", (json.dumps({"reason": what}),))
    if verifier is not None:  # (None: the role keeps its password and whether it may log in)
        verb = "ALTER" if known else "CREATE"
        con.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(verifier)))
    con.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(groups.account), role))
    for group, member in ((groups.clinical, not assessments_only), (groups.unblinded, not blinded)):
        verb = "GRANT {} TO {}" if member else "REVOKE {} FROM {}"
        con.execute(sql.SQL(verb).format(sql.Identifier(group), role))
    con.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(role))  # the system acts as the account (SET ROLE)
    con.execute("INSERT INTO account_roles (role_name, site_id, blinded, assessments_only, writes, acts) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (role_name) DO UPDATE SET site_id = excluded.site_id, "
                "blinded = excluded.blinded, assessments_only = excluded.assessments_only, writes = excluded.writes, "
                "acts = excluded.acts", (name, site, blinded, assessments_only, writes, acts))


def add_account(con: psycopg.Connection, name: str, password: str, password_hash: str, roles: list[str], *,
                site: str | None, full_name: str | None, blinded: bool, assessments_only: bool, writes, acts,
                what: str, by: str | None = None) -> None:
    """An account's row and role, in one transaction, by the study's owner (the system): its ``users``
    row (the password's hash is the dashboards'; the role logs in with the password itself) and the
    trail's ``USER_ADD`` row, under ``trial.context`` so that the table's trigger records the system's write."""
    if con.execute("SELECT 1 FROM users WHERE user_name = %s", (name,)).fetchone():
        raise TrialError(f"There is already an account named {name}.")
    owner = by or con.execute("SELECT current_user").fetchone()[0]  # the trail names the administrator who asked
    with con.transaction():
        con.execute("SELECT set_config('trial.context', %s, true)", (json.dumps({"reason": f"account {name}: {what}"}),))
        con.execute("INSERT INTO users (user_name, full_name, password_hash, roles, site_id, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, now())", (name, full_name, password_hash, roles, site))
        con.execute("SELECT trial_record(%s, 'USER_ADD', 'users', %s, NULL, NULL, %s, NULL, NULL)", (owner, name, what))
        set_account_role(con, name, password, site=site, blinded=blinded, assessments_only=assessments_only, writes=writes,
                         acts=acts)


def change_account_role(con: psycopg.Connection, name: str, *, password: str | None = None, active: bool | None = None,
                        access: dict | None = None) -> None:
    """Bring the role of account ``name`` in line with its changed row, in the caller's transaction: a
    new password (as a SCRAM verifier); logging in allowed or not (a disabled account's open
    connections are ended too: the owner is a member of its role); new access (``site``, ``blinded``,
    ``assessments_only``, ``writes``, ``acts``, as :func:`set_account_role` takes them)."""
    if con.execute("SELECT 1 FROM account_roles WHERE role_name = %s", (name,)).fetchone() is None:
        raise TrialError(f"{name} has no role in this study's database: nothing was changed.")
    role = sql.Identifier(name)
    if password is not None:
        verifier = con.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        con.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(verifier)))
    if access is not None:
        _write_account_role(con, name, None, Groups.of(database_name(con)), known=True, **{
            **access, "writes": sorted(access["writes"]), "acts": sorted(access["acts"])})
    if active is not None:
        con.execute(sql.SQL("ALTER ROLE {} {}").format(role, sql.SQL("LOGIN" if active else "NOLOGIN")))
    if password is not None or active is False:  # whoever held the old password, or the account, is let go
        con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
                    (name,))


def disable_account_role(con: psycopg.Connection, name: str) -> None:
    """The account's role can no longer log in (its rows in the trail keep its name)."""
    change_account_role(con, name, active=False)
