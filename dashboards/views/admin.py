"""Administration: the database lock (signed with the password), the audit trail (verified,
exported whole) and the accounts. Each part shows only to those whose role allows it."""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from trial.access import Permission, may
from trial.audit import audit_trail, record_export
from trial.errors import TrialError
from trial.integrity import verify
from trial.lock import lock_state, signed_lock, signed_unlock
from trial.users import has_accounts, list_users

TRAIL_COLUMNS = {"audit_id": "No.", "changed_at": "When", "user_name": "Who", "action": "Action", "table_name": "Table",
                 "record_key": "Record", "column_name": "Column", "old_value": "Old value", "new_value": "New value / what",
                 "reason": "Reason / detail", "upload_id": "Upload"}

ui.heading("Administration", "Lock the database at the end of the study, check and export the audit trail, see the accounts.")
store = ui.require_store()
me = data.user()


def lock_section() -> None:
    st.subheader("Database lock")
    state = lock_state(store)
    (st.warning if state.locked else st.success)(state.sentence, icon=":material/lock:" if state.locked else ":material/lock_open:")
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
            st.error(str(exc), icon=":material/block:")
        else:
            st.rerun()


def audit_section() -> None:
    st.subheader("Audit trail")
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

    def whole_trail() -> bytes:
        frame = audit_trail(store)
        record_export(store, me.user_name, "audit trail", f"{len(frame):,} rows as csv (dashboard)")
        return frame.to_csv(index=False).encode("utf-8")

    right.download_button("Export the whole trail (CSV)", whole_trail, file_name=f"{store.study.study.id}-audit-trail.csv",
                          mime="text/csv", icon=":material/download:")
    recent = audit_trail(store).tail(200).iloc[::-1].rename(columns=TRAIL_COLUMNS)
    st.dataframe(recent, hide_index=True, width="stretch", height=360,
                 column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    st.caption("The latest 200 rows, newest first.")


def accounts_section() -> None:
    st.subheader("Accounts")
    frame = list_users(store)
    if frame.empty:
        st.info("No accounts yet: the study is open to whoever reaches these pages. Add the first, an administrator, "
                "with `trial users add NAME --role ADMIN`.")
        return
    frame["roles"] = frame["roles"].map(lambda roles: ", ".join(roles))
    st.dataframe(frame, hide_index=True, width="stretch")
    st.caption("Accounts are added, disabled and given new passwords with `trial users` (see `trial users --help`).")


if may(me, Permission.LOCK):
    lock_section()
if may(me, Permission.READ_AUDIT):
    audit_section()
if may(me, Permission.MANAGE_USERS):
    accounts_section()
