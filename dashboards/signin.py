"""Signing in and out of the dashboards.

Local accounts (``trial users``): the password is checked by ``trial.governance.users.sign_in`` (argon2,
lock-out after five failures, every attempt audited) and the browser session keeps only a session
token, which expires. Where Streamlit's OIDC sign-in is configured (an ``[auth]`` section in
``.streamlit/secrets.toml``), "Sign in with your organisation" is offered too; the e-mail it
returns must be the name of an active account, which gives the roles.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboards import data, ui
from trial.errors import TrialError
from trial.governance import users
from trial.governance.users import User

ENDED = "session_ended"


def _oidc_configured() -> bool:
    with contextlib.suppress(Exception):  # no secrets file at all is the common case
        return "auth" in st.secrets
    return False


def _oidc_user() -> User | None:
    """The account of the person signed in through OIDC, if any (their e-mail names it)."""
    if not _oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    return users.account(data.accounts(), str(st.user.get("email", "")))


def _start(who: User) -> None:
    st.session_state[data.SESSION_TOKEN] = users.start_session(data.accounts(), who)
    st.session_state.pop(ENDED, None)


def sign_in_page() -> None:
    """The page shown, whatever the address, until someone signs in."""
    ui.heading("Sign in", "This study's data is for its trial team only. Sign in with the account your administrator gave you.")
    why = st.session_state.pop(ENDED, None)
    if why:
        st.info(f"Your session has ended: {why}. Sign in again.", icon=":material/schedule:")
    oidc = _oidc_user()
    if oidc is not None:
        _start(oidc)
        st.rerun()
    left, _ = st.columns([1, 1])
    with left.form("sign-in"):
        name = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
    if submitted:
        try:
            who = users.sign_in(data.accounts(), name.strip(), password)
        except TrialError as exc:
            left.error(ui.plain(exc), icon=":material/block:")  # it may quote the name typed
        else:
            _start(who)
            st.rerun()
    if _oidc_configured():
        left.button("Sign in with your organisation", on_click=st.login, icon=":material/badge:")
    left.caption("Forgotten your password, or locked out? An administrator sets a new one on the Administration page "
                 "(or with `trial users password NAME`).")


def note_if_ended() -> None:
    """Remember that a token was there but no longer works (it ran out, or the account was locked
    out, disabled or given a new password), and why, so that the sign-in page can say so."""
    token = st.session_state.pop(data.SESSION_TOKEN, None)
    if token:
        st.session_state[ENDED] = users.why_session_ended(data.accounts(), token)


def sign_out() -> None:
    token = st.session_state.pop(data.SESSION_TOKEN, None)
    if token:
        users.end_session(data.accounts(), token)
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def who_is_signed_in(who: User) -> None:
    """The sidebar's lines on the user: name, roles, site, blinded or not, and sign out."""
    where = "all sites" if who.sites is None else ", ".join(sorted(who.sites))
    roles = ", ".join(role.replace("_", " ").lower() for role in sorted(who.roles))
    st.caption(f"Signed in as **{ui.plain(who.full_name or who.user_name)}** · {roles} · {where} · "
               f"{'blinded: pooled data' if who.blinded else 'unblinded'}")
    if data.SESSION_TOKEN in st.session_state:
        st.button("Sign out", on_click=sign_out, icon=":material/logout:", key="sign-out")
