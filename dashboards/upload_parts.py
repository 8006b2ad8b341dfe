"""Parts of the Upload page: the verdict on a file, its findings as a filterable table, the
corrections it would make, what pressing Upload will do, the outcome of an upload, the data queries
a load may answer, and the data dictionary for a first-time user."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards import data, ui
from schemas import DOMAINS
from trial.errors import TrialError
from trial.governance import data_queries as dq
from trial.governance.access import ALLOCATION_DOMAINS
from trial.governance.users import User
from trial.ingest.result import ALREADY_LOADED, CHECKED, LOADED, REJECTED, UploadResult
from trial.ingest.templates import template_csv

GUESS = "guess"
LOADABLE = (CHECKED,)
FINDING_COLUMNS = {"line": "Line", "column": "Column", "value": "Value", "severity": "Severity", "message": "Problem"}
KIND_WORDS = {"code": "code", "text": "text", "int": "whole number", "decimal": "number", "date": "date (YYYY-MM-DD)"}


def domain_choices(allowed: frozenset[str] | None = None) -> dict[str, str]:
    """The domains to choose from (those ``allowed``, or all), after guessing from the header."""
    return {GUESS: "Guess from each file's header"} | {
        name: f"{name} — {d.description}" for name, d in DOMAINS.items() if allowed is None or name in allowed}


def verdict(result: UploadResult) -> tuple[str, str]:
    """An icon and one sentence on what will happen to the file."""
    warnings = f"; {result.warning_count:,} warning(s) to read below" if result.warnings else ""
    if result.status == CHECKED:
        parts = [f"{result.inserted:,} new row(s)", f"{result.corrected:,} corrected", f"{result.unchanged:,} unchanged"]
        return ":material/check_circle:", f"Ready to load: {', '.join(parts)}{warnings}."
    if result.status == ALREADY_LOADED:
        return ":material/info:", f"Already loaded as upload {result.previous_upload}: nothing to do."
    errors = result.error_count
    return ":material/cancel:", (f"Rejected: {errors:,} problem(s) to fix, listed below. Nothing from this file can load; "
                                 "Upload keeps it as a rejected upload with these findings. Fix the lines, then upload "
                                 "the corrected file.")


def upload_plan(results: list[UploadResult]) -> str:
    """What pressing Upload will do with the files checked (none of them already loaded)."""
    loadable = [r for r in results if r.status in LOADABLE]
    rejected = [r for r in results if r.status == REJECTED]
    parts = []
    if loadable:
        parts.append(f"loads {len(loadable)} file(s)")
    if len(rejected) == 1:
        parts.append(f"records {ui.plain(rejected[0].file_name)} as a rejected upload with its findings (nothing from it loads)")
    elif rejected:
        names = ", ".join(ui.plain(r.file_name) for r in rejected)
        parts.append(f"records {names} as rejected uploads with their findings (nothing from them loads)")
    return f"This was a check: nothing is recorded until you press Upload, which then {' and '.join(parts)}."


def findings_frame(result: UploadResult) -> pd.DataFrame:
    rows = [{key: getattr(f, key) for key in FINDING_COLUMNS} for f in result.findings]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["severity"] = frame["severity"].astype(str)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def correction_frame(result: UploadResult) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Line": c.line, "Record": c.key, "Column": c.column, "Before": c.old, "After": c.new} for c in result.changes]
    )


def show_findings(findings: pd.DataFrame, file_name: str) -> None:
    """The findings of one file, filterable by severity, column and text, with a CSV download."""
    st.markdown(f"**Findings** ({len(findings):,})")
    key = f"findings-{file_name}"
    left, middle, right = st.columns([1, 1, 2])
    severities = left.multiselect("Severity", sorted(findings.severity.unique()), key=f"{key}-severity",
                                  placeholder="All severities")
    columns = middle.multiselect("Column", sorted(findings.column.dropna().unique()), key=f"{key}-column",
                                 placeholder="All columns")
    text = right.text_input("Search the problems", key=f"{key}-text", placeholder="e.g. S01-004 or window")
    shown = findings
    if severities:
        shown = shown[shown.severity.isin(severities)]
    if columns:
        shown = shown[shown.column.isin(columns)]
    if text.strip():
        needle = text.strip().lower()
        haystack = shown.value.fillna("").str.lower() + " " + shown.message.str.lower()
        shown = shown[haystack.str.contains(needle, regex=False)]
    st.dataframe(shown.rename(columns=FINDING_COLUMNS), hide_index=True, placeholder="", width="stretch",
                 height=min(38 + 35 * max(len(shown), 1), 420),
                 column_config={"Line": st.column_config.NumberColumn(width=56),  # pixels: the sentence needs the room
                                "Column": st.column_config.TextColumn(width=130),
                                "Value": st.column_config.TextColumn(width=110),
                                "Severity": st.column_config.TextColumn(width=72),
                                "Problem": st.column_config.TextColumn(width=900)})
    stem = file_name.rsplit(".", 1)[0]
    ui.download_csv(findings.rename(columns=FINDING_COLUMNS), f"{stem}-findings.csv", "Download the findings (CSV)",
                    key=f"{key}-download")


@dataclass(frozen=True)
class Loaded:
    """What loading one file did, kept in the session for the page's next runs: the counts, and
    each value it corrected (record key, column → before, after) for the queries it may answer."""

    file_name: str
    status: str
    domain: str | None
    upload_id: int | None
    inserted: int
    corrected: int
    unchanged: int
    corrections: tuple[tuple[str, str, str | None, str | None], ...] = ()
    errors: int = 0

    @classmethod
    def of(cls, result: UploadResult) -> Loaded:
        return cls(result.file_name, result.status, result.domain, result.upload_id, result.inserted, result.corrected,
                   result.unchanged, tuple((c.key, c.column, c.old, c.new) for c in result.changes), len(result.errors))


def show_outcome(outcome: list[Loaded] | None) -> None:
    """What the last press of Upload did (kept across the rerun that refreshes every page)."""
    if not outcome:
        return
    loaded = [o for o in outcome if o.status == LOADED]
    rejected = [o for o in outcome if o.status == REJECTED]
    lines = []
    for o in outcome:
        name = ui.plain(o.file_name)
        if o.status == LOADED:
            lines.append(f"- **{name}**: loaded as upload {o.upload_id}: {o.inserted:,} new, {o.corrected:,} corrected, "
                         f"{o.unchanged:,} unchanged row(s)")
        elif o.status == ALREADY_LOADED:
            lines.append(f"- **{name}**: already loaded; nothing changed")
        elif o.status == REJECTED:
            lines.append(f"- **{name}**: rejected, and recorded as upload {o.upload_id} with its {o.errors:,} error(s); "
                         "nothing from it loaded. Fix the lines, then upload the corrected file.")
    said = (f"Loaded {len(loaded)} of {len(outcome)} file(s). Every page now shows the new data." if loaded
            else f"Uploaded {len(outcome)} file(s); none loaded.")
    if len(rejected) == 1:
        said += " The rejected file is kept with its findings, and the Study overview counts its errors."
    elif rejected:
        said += f" The {len(rejected)} rejected files are kept with their findings, and the Study overview counts their errors."
    (st.success if len(loaded) == len(outcome) else st.warning)(said + "\n\n" + "\n".join(lines))


# ----------------------------------------------------------------------------- queries a load answers
def answerable_queries(queries: pd.DataFrame, outcome: list[Loaded]) -> pd.DataFrame:
    """The queries (not closed) on the tables just loaded, each with the upload an answer would cite
    (``cite``, ``cite_file``) and whether that upload ``corrected`` the queried value (``before`` →
    ``after``); the corrected ones first.

    A query cites the upload that corrected its data point; one the load did not touch cites the
    last file loaded into its table.
    """
    loaded = [o for o in outcome if o.status == LOADED and o.upload_id is not None]
    rows = []
    for query in queries[queries.status != dq.CLOSED].to_dict("records"):
        into_table = [o for o in loaded if o.domain == query["table_name"]]
        if not into_table:
            continue
        point = (query["record_key"], query["column_name"])
        fixed = [(o, c) for o in into_table for c in o.corrections if c[:2] == point]
        cited, change = fixed[-1] if fixed else (into_table[-1], None)
        rows.append(query | {"cite": cited.upload_id, "cite_file": cited.file_name, "corrected": change is not None,
                             "before": change[2] if change else None, "after": change[3] if change else None})
    found = pd.DataFrame(rows, columns=[*queries.columns, "cite", "cite_file", "corrected", "before", "after"])
    found["corrected"] = found["corrected"].astype(bool)
    return found.sort_values(["corrected", "query_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _answer_label(query: dict) -> str:
    if query["corrected"]:
        changed = f"corrected here: {query['before'] or '(empty)'} → {query['after'] or '(empty)'}"
    else:
        changed = "value not changed by this upload"
    return f"Query {query['query_id']} · {query['record_key']} · {query['column_name']} · {changed}"


def cited_text(offered: pd.DataFrame) -> str:
    """The answer offered: ``Corrected in upload 12 (hair_counts-fix.csv)``."""
    cited = offered.drop_duplicates("cite")
    return "Corrected in " + " and ".join(f"upload {int(row.cite)} ({row.cite_file})" for row in cited.itertuples())


def offer_answers(me: User, outcome: list[Loaded]) -> None:
    """After a load: a small form to answer the queries not closed on the tables just loaded, citing
    the upload. Shown only when the user sees such queries; each answer goes through
    :func:`trial.governance.data_queries.answer_query`, which refuses with a sentence what the user may not do."""
    answered = st.session_state.get("upload_answered")
    if answered:  # sent already: say so instead of offering the form again
        st.success(answered, icon=":material/reply:")
        return
    offered = answerable_queries(data.cached(dq.query_list), outcome)
    if offered.empty:
        return
    labels = {int(row["query_id"]): _answer_label(row) for row in offered.to_dict("records")}
    load = "-".join(str(o.upload_id) for o in outcome)  # a new load starts the form afresh
    with st.form(f"upload_answers_form-{load}", border=True):
        st.markdown(f"**Data queries on the tables just loaded** ({len(offered)} not closed)")
        chosen = st.multiselect("This upload answers query…", list(labels), format_func=labels.get,
                                default=[int(q) for q in offered.query_id[offered.corrected]],
                                key=f"upload_answers_chosen-{load}", placeholder="Choose the queries this upload settles",
                                help="The queries whose value this upload corrected are chosen for you.")
        text = st.text_input("Answer", value=cited_text(offered), key=f"upload_answers_text-{load}",
                             help="Sent as the answer to each query chosen, citing the upload; a monitor then closes "
                                  "or re-opens the query on the Data queries page.")
        sent = st.form_submit_button("Send the answers", type="primary", icon=":material/reply:")
    if not sent:
        return
    if not chosen:
        st.error("Choose the queries this upload answers first.", icon=":material/block:")
        return
    cites = dict(zip(offered.query_id.astype(int), offered.cite.astype(int), strict=True))
    done, refusals = [], []
    for query_id in chosen:
        try:
            dq.answer_query(data.store(), me, query_id, text, upload_id=cites[query_id])
            done.append(query_id)
        except TrialError as exc:
            refusals.append(str(exc))
    for sentence in dict.fromkeys(refusals):  # one refusal (no text, say) is said once, not per query
        st.error(ui.plain(sentence), icon=":material/block:")
    if done:
        named = ", ".join(f"{q} (citing upload {cites[q]})" for q in done)
        st.session_state["upload_answered"] = (f"Answered query {named}; a monitor closes or re-opens "
                                               f"{'it' if len(done) == 1 else 'them'} on the Data queries page.")
        if not refusals:
            st.rerun()


def show_dictionary(allowed: frozenset[str] | None = None) -> None:
    """What each file holds, for a coordinator choosing files for the first time, and a template of
    each file the user may upload (its header and one example row of this study)."""
    st.markdown("#### What each file holds")
    st.caption("Load subjects first, then randomization, then the visit files; a batch is put in that order for you. "
               "Columns marked * are required. Dates are written YYYY-MM-DD.")
    rows = [
        {"File (domain)": name, "Holds": d.description, "One row per": ", ".join(d.key),
         "Columns": ", ".join(f"{c.name}{'*' if c.required else ''}" for c in d.columns)}
        for name, d in DOMAINS.items()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="", width="stretch",
                 column_config={"Columns": st.column_config.TextColumn(width="large")})
    blinded = data.user().blinded
    hidden = ALLOCATION_DOMAINS if blinded else frozenset()  # their example would show an arm
    names = [n for n in DOMAINS if (allowed is None or n in allowed) and n not in hidden]
    if not names:
        return
    st.markdown("#### Templates")
    st.caption("Each template is a file with the header this study expects and one example row: replace the example "
               "with your rows, or copy the header into your own spreadsheet.")
    study = data.study()
    for start in range(0, len(names), 4):  # rows of four: a phone shows them one under another
        for column, name in zip(st.columns(4), names[start:start + 4], strict=False):
            column.download_button(f"{name}.csv", template_csv(study, name, blinded=blinded), file_name=f"{name}-template.csv", mime="text/csv",
                                   key=f"template_{name}", on_click="ignore", icon=":material/download:", width="stretch")
