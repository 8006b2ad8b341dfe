"""Administration: the database lock (signed with the password), the audit trail (verified,
exported whole) and the accounts (added, disabled, enabled, given a new password, roles and site,
through the same functions as ``trial users``). Each part shows only to those whose role allows it.
Account and full names are what someone typed: shown in tables and plain text, never as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, ui
from trial.csv_safe import write_csv
from trial.errors import TrialError
from trial.governance.access import Permission, may
from trial.governance.views import scoped
from trial.governance.integrity import verify
from trial.governance.lock import lock_state, signed_lock, signed_unlock
from trial.governance.database_roles import add_account, change_active, change_password, change_roles
from trial.governance.users import Role, SHORTEST_PASSWORD, has_accounts, list_users
from trial.governance.trail import audit_trail

TRAIL_COLUMNS = {"audit_id": "No.", "changed_at": "When", "user_name": "Who", "action": "Action", "table_name": "Table",
                 "record_key": "Record", "column_name": "Column", "old_value": "Old value", "new_value": "New value / what",
                 "reason": "Reason / detail", "upload_id": "Upload"}

ui.heading("Administration", "Lock the database at the end of the study, check and export the audit trail, manage the accounts.")
store = ui.require_store()
me = data.user()
SITES = {site.id: site.name for site in store.study.sites}


def lock_section() -> None:
    st.subheader("Database lock")
    state = lock_state(store)
    (st.warning if state.locked else st.success)(ui.plain(state.sentence), icon=":material/lock:" if state.locked else ":material/lock_open:")
    verb = "Unlock" if state.locked else "Lock"
    with st.form("lock"):
        reason = st.text_input(f"Reason to {verb.lower()}", placeholder="e.g. final data review complete" if verb == "Lock"
                               else "e.g. a query answered after lock needs a correction")
        password = st.text_input("Your password (electronic signature)", type="password", disabled=not has_accounts(store),
                                 help="Signing means: I, the signed-in user, intend this action. It is kept in the audit trail.")
        go = st.form_submit_button(f"Sign and {verb.lower()}", type="primary", icon=":material/draw:")
    if go:
        change = signed_unlock if state.locked else signed_lock
        try:
            change(store, me, reason=reason, password=password or None)
        except TrialError as exc:
            st.error(ui.plain(exc), icon=":material/block:")
        else:
            st.rerun()


def audit_section() -> None:
    st.subheader("Audit trail")
    readable = scoped(store, data.access())  # a blinded administrator's trail leaves out what tells the arm
    st.caption("Append-only and hash-chained: each row holds the hash of its content and of the row before, and each "
               "write seals the records it changed. The check proves that nothing changed unrecorded: the chain, every "
               "record of the study, the upload log, the accounts and the study definition against their seals, and "
               "every archived file against its SHA-256.")
    left, right = st.columns(2)
    if left.button("Verify", icon=":material/verified:"):
        verdict = verify(store, blinded=me.blinded)
        if verdict.intact:
            left.success(verdict.summary)
        else:
            left.error(verdict.summary)
            left.text("\n".join(verdict.shown))  # as text: the sentences quote record keys and file names

    note = ui.export_recorder()

    def whole_trail() -> bytes:
        frame = audit_trail(readable)
        note("audit trail", f"{len(frame):,} rows as csv (dashboard)")
        return write_csv(frame).encode("utf-8")

    # on_click="ignore": a click that ran the page again would draw the button anew while the browser
    # asks the old one for its file, and under load no file came (the export row shows on the next run)
    right.download_button("Export the whole trail (CSV)", whole_trail, file_name=f"{store.study.study.id}-audit-trail.csv",
                          mime="text/csv", icon=":material/download:", on_click="ignore")
    recent = audit_trail(readable).tail(200).iloc[::-1].rename(columns=TRAIL_COLUMNS)
    st.dataframe(recent, hide_index=True, placeholder="", width="stretch", height=360,
                 column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    st.caption("The latest 200 rows, newest first.")


ACCOUNT_COLUMNS = {"user_name": "User", "full_name": "Name", "roles": "Roles", "site_id": "Site", "active": "Active",
                   "failed_attempts": "Failed sign-ins", "locked_until": "Locked until", "created_at": "Created"}
ROLE_HELP = ("Administrator: accounts and the lock. Statistician: all sites, unblinded. Monitor: all sites, blinded. "
             "Site staff: their site; upload, correct, answer queries. Evaluator: their site, blinded, assessments only.")
DONE = "accounts_done"


def _role_name(role: str) -> str:
    return {Role.ADMIN: "Administrator"}.get(role, role.replace("_", " ").capitalize())


def _site_name(site_id: str | None) -> str:
    return "All sites" if site_id is None else f"{site_id} · {SITES[site_id]}"


def _attempt(action, message: str, *, clear: tuple[str, ...] = ()) -> None:
    """Run one change of an account; its refusal is a sentence under the form. Once done, the
    page runs again to show the table as it is now, with ``message`` and the ``clear`` fields empty
    (a password typed is not left in a form)."""
    try:
        action()
    except TrialError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    for key in clear:
        st.session_state.pop(key, None)
    st.session_state[DONE] = message
    st.rerun()


def accounts_section() -> None:
    st.subheader("Accounts")
    if done := st.session_state.pop(DONE, None):
        st.success(done, icon=":material/check_circle:")
    frame = list_users(store)
    if frame.empty:
        st.info("No accounts yet: the study is open to whoever reaches these pages. Add the first account, an administrator, "
                "who then signs in and adds the others.")
    else:
        now = pd.Timestamp.now(tz="UTC")
        shown = frame.assign(roles=frame.roles.map(lambda roles: ", ".join(_role_name(r) for r in roles)),
                             site_id=frame.site_id.fillna("All sites"), full_name=frame.full_name.fillna(""),
                             locked_until=[f"{t:%Y-%m-%d %H:%M} UTC" if pd.notna(t) and t > now else "" for t in frame.locked_until])
        st.dataframe(shown.rename(columns=ACCOUNT_COLUMNS), hide_index=True, placeholder="", width="stretch", key="accounts",
                     column_config={"Name": st.column_config.TextColumn(width="medium"),
                                    "Created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", help="UTC"),
                                    "Locked until": st.column_config.TextColumn(width="medium",
                                                                                help="Locked out after five wrong passwords in a row"),
                                    "Failed sign-ins": st.column_config.NumberColumn(
                                        help="Wrong passwords in a row; the fifth locks the account for 15 minutes")})
        st.caption("Disabling an account, its lock-out or a new password ends its sessions (browser and command line) at once.")
    left, right = st.columns(2, gap="large")
    with left:
        add_account_form(first=frame.empty)
    if not frame.empty:
        with right:
            change_account(frame)


def add_account_form(*, first: bool) -> None:
    with st.form("add-account", clear_on_submit=False, border=True):
        st.markdown("**Add an account**")
        name_column, full_column = st.columns(2)
        name = name_column.text_input("User name", key="new-name", help="Letters, digits and . _ - @ + (an e-mail address will do).")
        full_name = full_column.text_input("Full name", placeholder="as shown in the dashboards", key="new-full-name")
        if first:
            st.caption("The first account is an administrator, who then signs in and adds the others.")
            roles, site = [Role.ADMIN], None
        else:
            roles = st.multiselect("Roles", list(Role), format_func=_role_name, help=ROLE_HELP, key="new-roles",
                                   placeholder="Choose one or more")
            site = st.selectbox("Site", [None, *SITES], format_func=_site_name, key="new-site",
                                help="Site staff and evaluators see one site; the other roles all sites.")
        password = st.text_input("Initial password", type="password", autocomplete="new-password", key="new-password",
                                 help=f"At least {SHORTEST_PASSWORD} characters; tell it to the person, who signs in with it.")
        go = st.form_submit_button("Add the account", type="primary", icon=":material/person_add:")
    if go:
        _attempt(lambda: add_account(store.accounts, name.strip(), password, roles, site_id=site, full_name=full_name.strip() or None,
                                     by=me.user_name),
                 f"Added {ui.plain(name.strip())}.",
                 clear=("new-name", "new-full-name", "new-roles", "new-site", "new-password"))


def change_account(frame) -> None:
    with st.container(border=True):
        st.markdown("**Change an account**")
        name = st.selectbox("Account", frame.user_name.tolist(), key="account-chosen",
                            format_func=lambda n: n + ("" if frame.set_index("user_name").active[n] else " (disabled)"))
        row = frame.set_index("user_name").loc[name]
        roles_tab, password_tab, active_tab = st.tabs(["Roles and site", "New password", "Enable" if not row.active else "Disable"])
        with roles_tab, st.form("account-roles", border=False):
            roles = st.multiselect("Roles", list(Role), default=[Role(r) for r in row.roles], format_func=_role_name,
                                   help=ROLE_HELP, key=f"roles-of-{name}")
            sites = [None, *SITES]
            site = st.selectbox("Site", sites, index=sites.index(row.site_id) if row.site_id in SITES else 0,
                                format_func=_site_name, key=f"site-of-{name}")
            st.caption("The new roles apply at the account's next click or command; its sessions carry on.")
            if st.form_submit_button("Save roles and site", icon=":material/manage_accounts:"):
                _attempt(lambda: change_roles(store.accounts, name, roles, site_id=site, by=me.user_name),
                         f"{ui.plain(name)} now holds {', '.join(_role_name(r) for r in sorted(roles))}, {ui.plain(_site_name(site))}.")
        with password_tab, st.form("account-password", border=False):
            password = st.text_input("New password", type="password", autocomplete="new-password", key=f"password-of-{name}")
            again = st.text_input("The new password again", type="password", autocomplete="new-password", key=f"again-of-{name}")
            st.caption("Also lifts a lock-out. Every session of the account ends at once: the person signs in with the new password.")
            if st.form_submit_button("Set the password", icon=":material/key:"):
                if password != again:
                    st.error("The two passwords differ; type the same one twice.", icon=":material/block:")
                else:
                    _attempt(lambda: change_password(store.accounts, name, password, by=me.user_name),
                             f"The password of {ui.plain(name)} is set and its sessions have ended.",
                             clear=(f"password-of-{name}", f"again-of-{name}"))
        with active_tab:
            if row.active:
                st.caption(f"Once disabled, {ui.plain(name)} cannot sign in, and its sessions (browser and command line) "
                           "end at once. Its history stays in the audit trail.")
                if st.button("Disable the account", icon=":material/person_off:", key="disable"):
                    _attempt(lambda: change_active(store.accounts, name, False, by=me.user_name),
                             f"{ui.plain(name)} is disabled and every session of it has ended.")
            else:
                st.caption(f"Once enabled, {ui.plain(name)} may sign in again with its password.")
                if st.button("Enable the account", icon=":material/person_check:", key="enable"):
                    _attempt(lambda: change_active(store.accounts, name, True, by=me.user_name), f"{ui.plain(name)} is enabled.")


if may(me, Permission.LOCK):
    lock_section()
if may(me, Permission.READ_AUDIT):
    audit_section()
if may(me, Permission.MANAGE_USERS):
    accounts_section()
