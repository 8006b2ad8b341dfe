"""Accounts of a study on PostgreSQL: each is also a role of the database, told what the account may,
and who acts in a command there: the account of the role the database signed in.

When an account is made there, its row (with the password's hash, for the dashboards' sign-in) and
its role (logging in with the same password, a member of the groups its access allows, writing the
domains it uploads: :func:`trial.store.postgres_accounts.set_account_role`) are written in one transaction
by the study's owner, the system's own login. The rules are the embedded store's: the same checks of
the name, roles, site and password (:func:`trial.governance.users.checked_account`), the same access
(:class:`trial.governance.access.Access`) and uploads (:func:`trial.governance.access.database_writes`).
"""

from __future__ import annotations

from trial.governance.access import Access, database_acts, database_writes
from trial.governance.users import (NotSignedIn, Role, User, account, add_user, checked_account, describe, password_hash,
                                    set_active, set_password, set_roles)


def role_access(who: User) -> dict:
    """What the database is told of an account's access: its site, blinding, the domains it uploads
    and the permissions it holds that write."""
    access = Access.of(who)
    return {"site": who.site_id, "blinded": access.blinded, "assessments_only": access.assessments_only,
            "writes": database_writes(who), "acts": database_acts(who)}


def add_server_account(store, user_name: str, password: str, roles, *, site_id: str | None = None,
                       full_name: str | None = None, by: str | None = None) -> User:
    """Create an account and its role in the PostgreSQL study ``store`` (opened as its owner); ``by``:
    the administrator the trail names (default: the owner)."""
    chosen = checked_account(store, user_name, password, roles, site_id)
    who = User(user_name, chosen, site_id, full_name, store.study.blinding)
    spec = role_access(who)
    store.create_account(user_name, password, password_hash(password), sorted(chosen), full_name=full_name,
                         what=describe(chosen, site_id), by=by, **spec)
    return who


# What an administrator does to accounts, on either engine: the account's row, and where accounts are
# roles of the database (``store.makes_roles``), its role with it, in one transaction.

def add_account(store, user_name: str, password: str, roles, *, site_id: str | None = None, full_name: str | None = None,
                by: str) -> User:
    if store.makes_roles:
        return add_server_account(store, user_name, password, roles, site_id=site_id, full_name=full_name, by=by)
    return add_user(store, user_name, password, roles, site_id=site_id, full_name=full_name, by=by)


def change_password(store, user_name: str, password: str, *, by: str) -> None:
    with store.changing_account(user_name) as change:
        set_password(store, user_name, password, by=by)
        change["password"] = password


def change_active(store, user_name: str, active: bool, *, by: str) -> None:
    with store.changing_account(user_name) as change:
        set_active(store, user_name, active, by=by)
        change["active"] = active


def change_roles(store, user_name: str, roles, *, site_id: str | None = None, by: str) -> User:
    with store.changing_account(user_name) as change:
        who = set_roles(store, user_name, roles, site_id=site_id, by=by)
        change["access"] = role_access(who)
    return who


def role_account(store, *, named: str | None, owner_acts: bool = False) -> User:
    """Who acts on a study on PostgreSQL: the account of the role the database signed in (with that
    account's password), not a name anyone may claim; ``named`` (--user, TRIAL_USER) only checks it.
    With ``owner_acts``, the study's owner (the system's own login, which makes the accounts) acts as
    an administrator."""
    if owner_acts and store.is_owner:
        return User(store.role, frozenset({Role.ADMIN}), None, None, store.study.blinding)
    who = account(store, store.role)
    if who is None:
        raise NotSignedIn(f"{store.role} is not an active account of the study at {store.shown}: connect as your "
                          "account (its user name and password in the URL).")
    if named and named != who.user_name:
        raise NotSignedIn(f"The URL signs in as {who.user_name}, not {named}: to act as {named}, put that "
                          "account's name and password in the URL.")
    return who
