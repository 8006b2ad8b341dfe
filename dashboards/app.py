"""The dashboards' entry point: ``streamlit run dashboards/app.py`` (``trial serve`` does this).

Once the study has accounts, nobody sees a page before signing in, and each person's navigation
holds only the pages their roles allow (``catalogue.py``). Pages are grouped by who uses them
most; the sidebar says which study and database this is, and who is signed in.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st

from dashboards import data, signin, ui
from dashboards.catalogue import CATALOGUE, pages_for
from trial.errors import TrialError
from trial.governance.users import User

st.set_page_config(page_title="trial", page_icon=":material/clinical_notes:", layout="wide")
ui.house_style()

HOME = st.Page("views/home.py", title="Home", icon=":material/home:", default=True)


def _signed_in() -> tuple[bool, User | None]:
    """Whether the database can be read, and who is signed in."""
    try:
        return True, data.user()
    except TrialError:
        return False, None  # held by another program, or not a study database: Home says why


def _navigation(who: User | None) -> dict[str, list[st.Page]]:
    groups: dict[str, list[st.Page]] = {"": [HOME]}
    for spec in pages_for(who) if who is not None else ():
        groups.setdefault(spec.group, []).append(st.Page(spec.path, title=spec.title, icon=spec.icon))
    return groups


def _sidebar(who: User | None) -> None:
    try:
        current = data.store()
    except TrialError:
        return  # the page says why (ui.require_store)
    with st.sidebar:
        if current is None:
            st.caption(f"No database at {ui.plain(data.db_path())}")
            return
        study = current.study
        st.markdown(f"**{ui.plain(study.study.id)}**  \n{ui.plain(study.study.title)}")
        st.caption(f"Database {ui.plain(data.where_shown())} · data version {current.data_version()}")
        if who is not None:
            signin.who_is_signed_in(who)


readable, who = _signed_in()
if readable and who is None:
    signin.note_if_ended()
    # the sign-in form answers at every page's address, so that a link (or a reload) opens the
    # page asked for once its reader has signed in
    asked = [st.Page(signin.sign_in_page, title="Sign in", icon=":material/login:", url_path=Path(spec.path).stem)
             for spec in CATALOGUE]
    st.navigation([st.Page(signin.sign_in_page, title="Sign in", icon=":material/login:", default=True), *asked],
                  position="hidden").run()
    st.stop()
_sidebar(who)
with contextlib.suppress(TrialError):
    data.warm_up()
st.navigation(_navigation(who)).run()
