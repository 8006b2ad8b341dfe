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
from trial.governance.users import NotSignedIn, Role, User, account, checked_account, describe, password_hash


def add_server_account(store, user_name: str, password: str, roles, *, site_id: str | None = None,
                       full_name: str | None = None) -> User:
    """Create an account and its role in the PostgreSQL study ``store`` (opened as its owner)."""
    chosen = checked_account(store, user_name, password, roles, site_id)
    who = User(user_name, chosen, site_id, full_name, store.study.blinding)
    access = Access.of(who)
    store.create_account(user_name, password, password_hash(password), sorted(chosen), site=site_id,
                         full_name=full_name, blinded=access.blinded, assessments_only=access.assessments_only,
                         writes=database_writes(who), acts=database_acts(who),
                         what=describe(chosen, site_id))
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
