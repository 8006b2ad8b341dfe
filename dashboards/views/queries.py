"""Data queries: a monitor questions one data point, the site answers, the monitor closes or re-opens.

The list (filtered by status, site and subject, with counts), one query's history with the actions
the signed-in user's roles allow, and a form to open a new query in which the data point is picked
step by step: subject, table, the subject's record of that table, column. Other pages link here with
``?subject=S01-004`` (that subject's queries) or ``?query=7`` (that query). Every rule is the core's
(``trial.governance.data_queries``): a refusal is shown as its sentence.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboards import data, ui
from schemas import DOMAINS
from trial.errors import TrialError
from trial.findings import show
from trial.governance import data_queries as dq
from trial.governance.access import Permission, may
from trial.governance.lock import lock_state
from trial.readers.subject_profile import subject_index
from trial.readers.uploads import list_uploads

STATUS_FILTERS = {"Not closed": ("OPEN", "ANSWERED"), "Open": ("OPEN",), "Answered": ("ANSWERED",),
                  "Closed": ("CLOSED",), "All": dq.STATUSES}
STATUS_WORDS = {"OPEN": "Open: waiting for the site", "ANSWERED": "Answered: waiting for the monitor", "CLOSED": "Closed"}
ALL_SITES, ALL_SUBJECTS = "All sites", "All subjects"
UPLOADS_OFFERED = 500  # the latest uploads an answer may cite from the list
LIST_COLUMNS = {"query_id": "Query", "status": "Status", "site_id": "Site", "subject_id": "Subject", "table_name": "Table",
                "record_key": "Record", "column_name": "Column", "value_when_opened": "Value when opened",
                "last_step": "Last step", "last_at": "When (UTC)", "question": "Question"}  # the long text last
REVIEW_WORDS = {  # status → the review form's heading and the label of its comment
    "OPEN": ("**Close** (opened in error, or settled without an answer)", "Comment (optional)"),
    "ANSWERED": ("**Close or re-open**", "Comment (optional to close; to re-open, say what is still wrong)"),
    "CLOSED": ("**Re-open**", "What is still wrong"),
}
HISTORY_COLUMNS = {"seq": "No.", "written_at": "When (UTC)", "user_name": "Who", "action": "Step", "text": "Text",
                   "upload_id": "Upload cited", "file_name": "File"}


def _flash() -> None:
    """The outcome of the write that ended the previous run (the page reran after it)."""
    for key in st.session_state.pop("queries_clear", ()):
        # set, not deleted: a deleted key leaves the old text showing in the browser
        st.session_state[key] = ""
    said = st.session_state.pop("queries_flash", None)
    if said:
        st.success(said, icon=":material/check_circle:")


def _write(action: Callable[[], object], done: Callable[[object], str], *, show_query: int | None = None,
           clear: tuple[str, ...] = ()) -> None:
    """Run one write of the core; a refusal is shown as its sentence, success empties the ``clear``
    text boxes and reruns the page."""
    try:
        outcome = action()
    except TrialError as exc:
        st.error(ui.plain(exc), icon=":material/block:")
        return
    st.session_state["queries_clear"] = clear  # emptied at the start of the next run, before they are drawn
    st.session_state["queries_flash"] = done(outcome)
    st.session_state["query_wanted"] = show_query if show_query is not None else outcome
    st.rerun()


# ----------------------------------------------------------------------------- the list
def _keep_written_in_view(queries: pd.DataFrame) -> None:
    """The query just written stays listed when a filter would now hide it (a closed query under
    "Not closed", a new one on another subject): those filters are widened before they are drawn."""
    wanted = st.session_state.get("query_wanted")
    found = queries[queries.query_id == wanted]
    if wanted is None or found.empty:
        return
    query = found.iloc[0]
    if query.status not in STATUS_FILTERS.get(st.session_state.get("queries_status") or "All", ()):
        st.session_state["queries_status"] = "All"
    if st.session_state.get("queries_site", ALL_SITES) not in (ALL_SITES, query.site_id):
        st.session_state["queries_site"] = ALL_SITES
    if st.session_state.get("queries_subject", ALL_SUBJECTS) not in (ALL_SUBJECTS, query.subject_id):
        st.session_state["queries_subject"] = ALL_SUBJECTS


def _filters(queries: pd.DataFrame) -> pd.DataFrame:
    if "queries_status" not in st.session_state:
        # a link to one query (?query=N) may name a closed one: then start with them all
        st.session_state["queries_status"] = "All" if _query_in_address() else "Not closed"
    _keep_written_in_view(queries)
    left, middle, right = st.columns([3, 1, 1])
    status = left.segmented_control("Status", list(STATUS_FILTERS), key="queries_status")
    sites = sorted(queries.site_id.unique())
    site = middle.selectbox("Site", [ALL_SITES, *sites], key="queries_site")
    listed = queries[queries.status.isin(STATUS_FILTERS[status or "All"])]
    if site != ALL_SITES:
        listed = listed[listed.site_id == site]
    subjects = sorted(listed.subject_id.unique())
    wanted = str(st.query_params.get("subject", "")).strip().upper()
    subject = right.selectbox("Subject", [ALL_SUBJECTS, *subjects], key="queries_subject",
                              index=1 + subjects.index(wanted) if wanted in subjects else 0)
    if subject != ALL_SUBJECTS:
        listed = listed[listed.subject_id == subject]
    return listed


def show_list(queries: pd.DataFrame) -> pd.DataFrame:
    """The counts, the filters and the filtered list; returns the rows listed."""
    counts = queries.status.value_counts()
    with st.container(horizontal=True, gap="small"):
        for status, label, help_text in (("OPEN", "Open", "Waiting for the site's answer."),
                                         ("ANSWERED", "Answered", "Waiting for a monitor to close or re-open them."),
                                         ("CLOSED", "Closed", "Settled.")):
            st.metric(label, f"{int(counts.get(status, 0)):,}", border=True, width=150, help=help_text)
    listed = _filters(queries)
    st.caption(f"{len(listed):,} of {len(queries):,} queries shown, oldest first.")
    shown = listed.assign(last_step=listed.last_action + " · " + listed.last_by)  # one column: the table fits the page
    st.dataframe(shown[list(LIST_COLUMNS)].rename(columns=LIST_COLUMNS), hide_index=True, placeholder="", width="stretch",
                 height=min(38 + 35 * max(len(listed), 1), 380), key="queries_list",
                 column_config={"Query": st.column_config.NumberColumn(width="small"),
                                "Site": st.column_config.TextColumn(width="small"),
                                "Value when opened": st.column_config.TextColumn("Value then", width="small"),
                                "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "Question": st.column_config.TextColumn(width="large")})
    return listed


# ----------------------------------------------------------------------------- one query
def _label(row) -> str:
    return f"{row.query_id} · {row.status.capitalize()} · {row.record_key} · {row.column_name}"


def _query_in_address() -> int | None:
    """The query named by ``?query=N``, if any."""
    named = str(st.query_params.get("query", "")).strip()
    return int(named) if named.isdigit() else None


def pick_query(listed: pd.DataFrame) -> int:
    """The query whose history is shown: the one just written, else the one chosen, else ``?query=``."""
    options = listed.query_id.tolist()
    labels = {row.query_id: _label(row) for row in listed.itertuples(index=False)}
    wanted = st.session_state.pop("query_wanted", None) or st.session_state.get("query_pick") or _query_in_address()
    st.session_state["query_pick"] = wanted if wanted in options else options[0]
    picked = st.selectbox("Query", options, key="query_pick", format_func=labels.get)
    if str(picked) != st.query_params.get("query"):
        st.query_params["query"] = str(picked)
    return int(picked)


def show_query(query: dict, me, locked: bool) -> None:
    query_id, status = int(query["query_id"]), query["status"]
    st.subheader(f"Query {query_id} · {STATUS_WORDS[status]}")
    now = data.cached(dq.current_value, query_id)
    then = query["value_when_opened"]
    st.markdown(f"**{query['subject_id']}** (site {query['site_id']}) · table **{query['table_name']}** · record "
                f"**{query['record_key']}** · column **{query['column_name']}**  \n"
                f"Value when opened: **{ui.plain(_shown(then))}** · now: **{ui.plain(_shown(now))}**"
                + (" (changed since)" if _shown(then) != _shown(now) else ""))
    show_history(data.cached(dq.query_history, query_id))
    if locked and status != "CLOSED":
        st.caption("The database is locked: the query can be closed, but not answered or re-opened.")
    if status != "CLOSED" and may(me, Permission.ANSWER_QUERY):
        answer_form(query, me)
    if may(me, Permission.RAISE_QUERY):
        review_form(query, me)


def show_history(history: pd.DataFrame) -> None:
    """Every step, first to last, as a plain table: a handful of rows whose texts wrap instead of
    being cut off at the column's edge. ``st.table`` reads its cells as Markdown: the people's
    names, texts and file names in it are escaped."""
    shown = history[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS)
    shown["When (UTC)"] = pd.to_datetime(shown["When (UTC)"]).dt.strftime("%Y-%m-%d %H:%M")
    for column in ("Who", "Text", "Upload cited", "File"):
        shown[column] = ["" if pd.isna(v) else str(int(v)) if column == "Upload cited" else ui.plain(v)
                         for v in shown[column]]
    if not (shown["Upload cited"] != "").any():
        shown = shown.drop(columns=["Upload cited", "File"])  # no answer cited an upload
    with st.container(key="query_history"):
        st.table(shown, hide_index=True, border="horizontal")


def _shown(value) -> str:
    return "(empty)" if value is None or pd.isna(value) else str(value)


def answer_form(query: dict, me) -> None:
    query_id = int(query["query_id"])
    with st.container(border=True):
        st.markdown("**Answer**" if query["status"] == "OPEN"
                    else "**Add to the answer** (sent already; the monitor has not reviewed it yet)")
        text = st.text_area("What was checked or corrected", key=f"answer_text_{query_id}",
                            placeholder="e.g. Transcription error: 125 on the source sheet; corrected in the re-uploaded file.")
        uploads = data.cached(list_uploads, UPLOADS_OFFERED)
        fixes = uploads[(uploads.domain == query["table_name"]) & (uploads.status == "loaded")]
        names = {row.upload_id: f"{row.upload_id} · {row.file_name} · {row.uploaded_at:%Y-%m-%d %H:%M}"
                 for row in fixes.itertuples(index=False)}
        cited = st.selectbox("The upload that corrected the value (if any)", [None, *names], key=f"answer_upload_{query_id}",
                             format_func=lambda u: "None: nothing was corrected" if u is None else names[u],
                             help=f"Loaded {query['table_name']} files, newest first; upload the corrected file on the Upload page first.")
        if st.button("Send the answer", type="primary", key=f"answer_{query_id}", icon=":material/reply:"):
            _write(lambda: dq.answer_query(data.store(), me, query_id, text, upload_id=None if cited is None else int(cited)),
                   lambda _: f"Query {query_id} is answered; a monitor will close or re-open it.", show_query=query_id,
                   clear=(f"answer_text_{query_id}",))


def review_form(query: dict, me) -> None:
    query_id, status = int(query["query_id"]), query["status"]
    with st.container(border=True):
        heading, label = REVIEW_WORDS[status]
        st.markdown(heading)
        text = st.text_area(label, key=f"review_text_{query_id}", height=90)
        buttons = st.container(horizontal=True, gap="small")
        if status != "CLOSED" and buttons.button("Close the query", key=f"close_{query_id}", icon=":material/task_alt:",
                                                 type="primary" if status == "ANSWERED" else "secondary"):
            _write(lambda: dq.close_query(data.store(), me, query_id, text),
                   lambda _: f"Query {query_id} is closed.", show_query=query_id, clear=(f"review_text_{query_id}",))
        if status != "OPEN" and buttons.button("Re-open the query", key=f"reopen_{query_id}", icon=":material/replay:"):
            _write(lambda: dq.reopen_query(data.store(), me, query_id, text),
                   lambda _: f"Query {query_id} is open again; the site answers it.", show_query=query_id,
                   clear=(f"review_text_{query_id}",))


# ----------------------------------------------------------------------------- a new query
def _tables_for(me) -> list[str]:
    """The study tables this user may raise a query on (a blinded user: none that tell the arm)."""
    return [t for t, d in DOMAINS.items()
            if not me.blinded or any(not dq.reveals_allocation(t, c) for c in d.column_names)]


def open_form(me) -> None:
    """Subject, then table, then the subject's record of that table, then column; then the text."""
    st.subheader("Open a query")
    subjects = data.cached(subject_index)
    ids = subjects.subject_id.tolist()
    wanted = str(st.query_params.get("subject", "")).strip().upper()
    left, right = st.columns(2)
    subject = left.selectbox("Subject", ids, key="new_subject", index=ids.index(wanted) if wanted in ids else 0)
    tables = _tables_for(me)
    table = right.selectbox("Table", tables, key="new_table", format_func=lambda t: f"{t} · {DOMAINS[t].description}")
    records = data.cached(dq.subject_records, subject, table)
    if records.empty:
        st.info(f"{subject} has no {table} record yet: choose another table or subject.")
        return
    domain = DOMAINS[table]
    others = [c for c in domain.column_names if c not in domain.key and c != "site_id"]
    summaries = {row["record_key"]: " · ".join(f"{c} {show(row[c])}" for c in others[:3] if show(row[c]) is not None)
                 for _, row in records.iterrows()}
    record_key = st.selectbox(f"Record ({dq.key_names(table)})", list(summaries), key="new_record",
                              format_func=lambda k: f"{k}  —  {summaries[k]}" if summaries[k] else k)
    row = records[records.record_key == record_key].iloc[0]
    columns = [c for c in domain.column_names if not (me.blinded and dq.reveals_allocation(table, c))]
    column = st.selectbox("Column", columns, key="new_column",
                          index=columns.index(others[0]) if others and others[0] in columns else 0,
                          format_func=lambda c: f"{c} = {_shown(show(row[c]))}")
    text = st.text_area("What should the site check?", key="new_text",
                        placeholder="e.g. 220 hairs at week 4 is far above baseline (120): please check the source sheet.")
    if st.button("Open the query", type="primary", key="new_open", icon=":material/add_comment:"):
        _write(lambda: dq.open_query(data.store(), me, subject_id=subject, table_name=table, record_key=record_key,
                                     column_name=column, text=text),
               lambda query_id: f"Opened query {query_id} on {record_key} · {column}; site "
                                f"{subjects.site_id[subjects.subject_id == subject].iloc[0]} answers it.",
               clear=("new_text",))


# ----------------------------------------------------------------------------- the page
ui.heading("Data queries", "Questions on single data points: a monitor opens them, the site answers (citing the "
                           "correcting upload, if any), the monitor closes or re-opens them. Every step is kept.")
ui.require_subjects("data queries are raised on the subjects' data")
me = data.user()
if me is None or not may(me, Permission.VIEW_QUERIES):
    st.info("Data queries are for monitors, statisticians, site staff and evaluators; your account has none of these roles.")
    st.stop()
_flash()
state = lock_state(data.store())
if state.locked:
    st.warning(f"{ui.plain(state.sentence)} Queries can still be closed, but not opened, answered or re-opened.", icon=":material/lock:")

queries = data.cached(dq.query_list)
if queries.empty:
    st.info("No data queries yet." + (" Open the first below." if may(me, Permission.RAISE_QUERY)
                                      else " A monitor opens them; they appear here for your site to answer."))
else:
    listed = show_list(queries)
    if listed.empty:
        st.caption("No query matches these filters.")
    else:
        chosen = pick_query(listed)
        show_query(queries[queries.query_id == chosen].iloc[0].to_dict(), me, state.locked)

if may(me, Permission.RAISE_QUERY):
    st.divider()
    open_form(me)
