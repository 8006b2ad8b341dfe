"""Home: who you are, what you may see and do, and where to go next."""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from dashboards.catalogue import pages_for
from trial.governance.lock import lock_state
from trial.governance.users import has_accounts

store = ui.require_store()
me = data.user()
study = store.study
ui.heading(f"Welcome, {ui.plain(me.full_name or me.user_name)}", f"{ui.plain(study.study.id)} · {ui.plain(study.study.title)}")

if not has_accounts(store):
    st.warning(
        "This study has no accounts yet, so it is **open**: whoever opens these pages sees every site, unblinded. "
        "Before real data arrive, an administrator adds the first account "
        "(on the Administration page, or `trial users add NAME --role ADMIN`); from then on everyone signs in "
        "(on the command line: `trial login`) and sees only what their role allows.",
        icon=":material/lock_open:",
    )
elif me.blinded:
    st.info(
        "You are **blinded**: every page shows pooled data. Arms, comparisons between arms, the randomization list, "
        "the microneedling session log, adverse-event causes and verbatim terms are withheld.",
        icon=":material/visibility_off:",
    )
if me.sites is not None:
    st.caption(f"You see the subjects of site {', '.join(sorted(me.sites)) or '(none)'} only.")

state = lock_state(store)
if state.locked:
    st.warning(ui.plain(state.sentence), icon=":material/lock:")  # it quotes the reason typed

pages = pages_for(me)
if not pages:
    st.info("Your account has no role that opens a page. Ask an administrator.")
columns = st.columns(2)
for number, spec in enumerate(pages):
    with columns[number % 2].container(border=True):
        st.page_link(spec.path, label=spec.title, icon=spec.icon)
        st.caption(spec.blurb)
