"""Page parts every page shares: the heading, guidance instead of errors on an empty database,
arm labels and downloads. Pages lay out widgets and call the core; this keeps them short."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboards import data
from trial.audit import record_export
from trial.csv_safe import write_csv
from trial.errors import TrialError
from trial.reports.formats import visit_label
from trial.store import Store

UPLOAD_PAGE = "views/upload.py"


def heading(title: str, caption: str | None = None) -> None:
    st.title(title)
    if caption:
        st.caption(caption)


def require_store() -> Store:
    """The store, or guidance on how to create the database (and the page stops)."""
    try:
        current = data.store()
    except TrialError as exc:  # held by another program, or not a trial database
        st.error(str(exc), icon=":material/error:")
        st.stop()
    if current is None:
        path = data.db_path()
        st.info(
            f"There is no study database at **{path}** yet.\n\n"
            f"Create one with `trial init --db {path}` (then upload the site files here), "
            "or build the demonstration study with `trial demo`."
        )
        st.stop()
    return current


def require_subjects(what: str) -> Store:
    """The store when it holds subjects; otherwise say what to upload first (and the page stops).

    ``what`` completes the sentence "Nothing to show yet: …", e.g. "the efficacy charts need
    hair counts".
    """
    current = require_store()
    if not data.has_subjects():
        st.info(
            f"Nothing to show yet: {what}. The database holds no subjects so far.\n\n"
            "Upload the site files on the Upload page: subjects first, then randomization, "
            "then the visit files (hair counts, pull tests, global assessments, procedures, adverse events, disposition)."
        )
        st.page_link(UPLOAD_PAGE, label="Go to Upload", icon=":material/upload:")
        st.stop()
    return current


def arm_labels() -> dict[str, str]:
    """Arm code → the label people read (``MINOX_MN`` → ``Minoxidil 5 % + microneedling``)."""
    return {arm.code: arm.label for arm in data.study().arms}


def visit_labels() -> dict[str, str]:
    """Visit code → label, in protocol order (``WEEK_12`` → ``Week 12``)."""
    return {code: visit_label(code) for code in data.study().visit_codes}


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download as CSV", *, key: str | None = None) -> None:
    """A download button whose CSV is written only when it is clicked (not on every rerun); the
    export is noted in the audit trail."""
    note = export_recorder()

    def csv() -> bytes:
        note(file_name, f"{len(frame):,} rows")
        return write_csv(frame).encode("utf-8")

    st.download_button(label, csv, file_name=file_name, mime="text/csv", icon=":material/download:", key=key, on_click="ignore")


def export_recorder() -> Callable[..., None]:
    """``note(what, detail=None)``: records in the audit trail that the signed-in user took ``what``
    out of the system. Made while the page runs; called when a download is clicked, which happens
    outside the page's run, where the browser session (and so the user) is no longer known."""
    store, who = data.store(), data.user().user_name
    return lambda what, detail=None: record_export(store, who, what, detail)
