"""The dashboards' entry point: ``streamlit run dashboards/app.py`` (``trial serve`` does this).

Pages are grouped by who uses them most; the sidebar says which study and database this is.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboards import data
from trial.errors import TrialError

st.set_page_config(page_title="trial", page_icon=":material/clinical_notes:", layout="wide")

PAGES = {
    "Sites": [
        st.Page("views/upload.py", title="Upload", icon=":material/upload_file:", default=True),
        st.Page("views/subject.py", title="Subject profile", icon=":material/person_search:"),
    ],
    "Monitoring": [
        st.Page("views/overview.py", title="Study overview", icon=":material/monitoring:"),
        st.Page("views/tolerability.py", title="Tolerability", icon=":material/healing:"),
    ],
    "Analysis": [
        st.Page("views/efficacy.py", title="Efficacy", icon=":material/trending_up:"),
        st.Page("views/assessments.py", title="Pull test & global assessment", icon=":material/fact_check:"),
        st.Page("views/reports.py", title="Reports", icon=":material/description:"),
    ],
}


def _sidebar() -> None:
    try:
        current = data.store()
    except TrialError:
        return  # the page says why (ui.require_store)
    with st.sidebar:
        if current is None:
            st.caption(f"No database at {data.db_path()}")
            return
        study = current.study
        st.markdown(f"**{study.study.id}**  \n{study.study.title}")
        st.caption(f"Database {data.db_path().name} · data version {current.data_version()} · user {data.settings().user}")


_sidebar()
with contextlib.suppress(TrialError):
    data.warm_up()
st.navigation(PAGES).run()
