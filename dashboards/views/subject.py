"""Subject profile: one patient, as a site coordinator or monitor looks at it.

Key facts, a timeline of visits, sessions and adverse events, the hair counts, and the audit
history of every record of the subject. Other pages (and tests) link here with ``?subject=S01-004``;
the address follows the subject chosen, so it can be shared.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, ui
from dashboards.catalogue import pages_for
from dashboards.charts.subject import hair_counts_by_visit, timeline
from schemas.subjects import DIAGNOSIS_LABELS, SEX_LABELS, grade_label
from trial.errors import TrialError
from trial.governance import data_queries
from trial.governance.access import Permission, WITHHELD_AE_COLUMNS, may
from trial.governance.unblinding import unblind
from trial.governance.users import has_accounts
from trial.readers.subject_profile import subject_index, subject_profile
from trial.reports.formats import code_words

ALL_SITES = "All sites"
HAIR_COLUMNS = {"visit": "Visit", "assessment_date": "Date", "study_day": "Study day", "in_window": "In window", "region": "Region",
                "area_cm2": "Area (cm²)", "hair_count": "Hair count", "density": "Density (/cm²)", "terminal_count": "Terminal",
                "vellus_count": "Vellus", "shaft_diameter_um": "Shaft diameter (µm)", "evaluator_id": "Evaluator"}
SESSION_COLUMNS = {"session": "Session", "session_date": "Date", "study_day": "Study day", "device": "Device",
                   "needle_mm": "Needle (mm)", "passes": "Passes", "pain_vas": "Pain (VAS)", "pinpoint_bleeding": "Pinpoint bleeding"}
AE_COLUMNS = {"ae_seq": "No.", "term": "Verbatim term", "pt": "Preferred term", "onset_date": "Onset", "onset_day": "Study day",
              "resolution_date": "Resolved", "duration_days": "Days", "severity": "Severity", "serious": "Serious",
              "relationship": "Relationship", "suspected_cause": "Suspected cause", "action_taken": "Action", "outcome": "Outcome",
              "teae": "TEAE"}
HISTORY_COLUMNS = {"changed_at": "When", "user_name": "Who", "action": "Action", "table_name": "Table", "record": "Record",
                   "column_name": "Column", "old_value": "Old value", "new_value": "New value", "reason": "Reason",
                   "upload": "Upload", "file_name": "File", "lines": "Lines"}


def when(value) -> str:
    return "–" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def words(code) -> str:
    return "–" if code is None or pd.isna(code) or code == "" else code_words(str(code))


CODED = ("region", "severity", "relationship", "suspected_cause", "action_taken", "outcome", "device")  # codes shown as words


def in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """The coded columns of a table as words (MILD → Mild, NONE → No action); an empty cell stays empty."""
    def word(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
            return value
        return "No action" if value == "NONE" else code_words(str(value))

    return frame.assign(**{c: frame[c].map(word) for c in CODED if c in frame.columns})


def fact(label: str, value: str, note: str = "") -> None:
    """A fact of the subject; its value and note hold the data as uploaded (a randomization number, say)."""
    st.caption(label)
    st.markdown(f"**{ui.plain(value)}**" + (f"  \n{ui.plain(note)}" if note else ""))


def pick_subject(index: pd.DataFrame, labels: dict[str, str]) -> str:
    """Site filter and a searchable list of subjects; starts at ``?subject=`` when given."""
    wanted = str(st.query_params.get("subject", "")).strip().upper()
    known = set(index.subject_id)
    if wanted and wanted not in known:
        st.warning(f"There is no subject **{ui.plain(wanted)}** in this study; choose one below.")  # the address's text
    sites = sorted(index.site_id.unique())
    start_site = index.site_id[index.subject_id == wanted].iloc[0] if wanted in known else sites[0]
    left, right = st.columns([1, 3])
    site = left.selectbox("Site", [ALL_SITES, *sites], index=1 + sites.index(start_site))
    mine = index if site == ALL_SITES else index[index.site_id == site]
    options = mine.subject_id.tolist()
    arms = dict(zip(mine.subject_id, mine.arm, strict=True))
    randomized = [s for s in options if arms[s]]  # without an address, start with someone who has a course to show
    first = options.index(randomized[0]) if randomized else 0
    chosen = right.selectbox(
        f"Subject ({len(options):,} at {'all sites' if site == ALL_SITES else 'site ' + site})", options,
        index=options.index(wanted) if wanted in options else first,
        format_func=lambda s: f"{s} · {labels.get(arms[s], 'not randomized')}", placeholder="Type a subject number",
    )
    if chosen != st.query_params.get("subject"):
        st.query_params["subject"] = chosen  # the address names the subject shown
    return chosen


def show_facts(facts: dict, labels: dict[str, str]) -> None:
    """Four cards of two facts each: one row on a wide screen, four short cards on a phone."""
    if facts.get("status"):
        status = words(facts["status"])
    elif not facts.get("arm"):
        status = "Screen failure" if facts.get("eligible") != "Y" else "Not randomized"
    else:
        status = "Ongoing"
    scale, grade = facts.get("severity_scale"), facts.get("severity_grade")
    sex = SEX_LABELS.get(facts["sex"], facts["sex"])
    populations = [name for name, flag in (("ITT", "ittfl"), ("safety", "saffl"), ("per protocol", "pprotfl")) if facts.get(flag)]
    cards = st.columns(4)
    with cards[0].container(border=True):
        fact("Site", facts["site_id"])
        fact("Arm", labels.get(facts["arm"], facts["arm"]) if facts["arm"] else "Not randomized",
             f"randomization no. {facts['randomization_number']}" if facts.get("randomization_number") else "")
    with cards[1].container(border=True):
        fact("Sex, age", f"{sex}, {facts['age']} years", f"Fitzpatrick type {facts['fitzpatrick']}" if facts.get("fitzpatrick") else "")
        fact("Diagnosis", DIAGNOSIS_LABELS.get(facts["diagnosis"], facts["diagnosis"]), grade_label(f"{scale} {grade}") if scale and grade else "")
    with cards[2].container(border=True):
        fact("Consent", when(facts["consent_date"]), f"screened {when(facts['screening_date'])}"
             + ("" if facts.get("eligible") == "Y" else " · not eligible"))
        fact("Randomized", when(facts["randomization_date"]))
    with cards[3].container(border=True):
        fact("Disposition", status, " · ".join(x for x in (when(facts.get("status_date")) if facts.get("status") else "",
                                                           words(facts.get("reason")) if facts.get("reason") else "") if x))
        fact("Analysis populations", ", ".join(populations) if populations else "Not in any")


def show_hair_counts(profile, visit_labels: dict[str, str]) -> None:
    st.subheader("Hair counts")
    counts = profile.hair_counts
    if counts.empty:
        st.info(f"No hair count has been recorded for {profile.subject_id} yet.")
        return
    shown = in_words(counts.assign(visit=counts.visit.map(visit_labels).fillna(counts.visit)))[list(HAIR_COLUMNS)].rename(columns=HAIR_COLUMNS)
    shown = shown.dropna(axis="columns", how="all")  # terminal/vellus/diameter only where the study records them
    st.dataframe(shown, hide_index=True, placeholder="", width="stretch", key="hair_counts",
                    column_config={"Date": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                   "Density (/cm²)": st.column_config.NumberColumn(format="%.1f"),
                                   "In window": st.column_config.CheckboxColumn(help="Study day inside the visit's window")})
    st.plotly_chart(hair_counts_by_visit(counts, visit_labels, height=260), width="stretch", config=ui.PLOTLY_CONFIG)


def show_events_and_sessions(profile) -> None:
    events, sessions = profile.adverse_events, profile.sessions
    blinded = data.user().blinded  # sessions, verbatim terms and causes tell the arm: withheld
    columns = {k: v for k, v in AE_COLUMNS.items() if not (blinded and k in WITHHELD_AE_COLUMNS)}
    labels = [f"Adverse events ({len(events)})", "Microneedling sessions" + ("" if blinded else f" ({len(sessions)})")]
    ae_tab, session_tab = st.tabs(labels)
    with ae_tab:
        if events.empty:
            st.caption("No adverse event recorded.")
        else:
            st.dataframe(in_words(events)[list(columns)].rename(columns=columns), hide_index=True, placeholder="", width="stretch", key="adverse_events",
                         column_config={"Onset": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                        "Resolved": st.column_config.DateColumn(format="YYYY-MM-DD"),
                                        "TEAE": st.column_config.CheckboxColumn(help="Onset on or after randomization")})
            if blinded:
                st.caption("Verbatim terms and suspected causes are withheld from blinded users; terms are shown coded.")
    with session_tab:
        if blinded:
            st.caption("Withheld from blinded users: sessions happen in one arm only.")
        elif sessions.empty:
            st.caption("No microneedling session recorded.")
        else:
            st.dataframe(in_words(sessions)[list(SESSION_COLUMNS)].rename(columns=SESSION_COLUMNS), hide_index=True, placeholder="", width="stretch",
                         key="sessions", column_config={"Date": st.column_config.DateColumn(format="YYYY-MM-DD")})


QUERY_COLUMNS = {"query_id": "Query", "status": "Status", "table_name": "Table", "record_key": "Record",
                 "column_name": "Column", "question": "Question", "last_action": "Last step", "last_text": "Last text"}


def show_open_queries(subject_id: str) -> None:
    """The subject's data queries not closed yet, with the way to answer or review them."""
    me = data.user()
    queries = data.cached(data_queries.query_list, subject_id=subject_id)  # the user's queries only (scoped view)
    still_open = queries[queries.status != data_queries.CLOSED]
    left, right = st.columns([3, 1], vertical_alignment="center")
    closed = len(queries) - len(still_open)
    left.markdown(f"**Open data queries: {len(still_open)}**" + (f" ({closed} closed)" if closed else ""))
    if any(spec.path == "views/queries.py" for spec in pages_for(me)):
        right.page_link("views/queries.py", label=f"Queries of {subject_id}", icon=":material/forum:",
                        query_params={"subject": subject_id})
    if not still_open.empty:
        st.dataframe(still_open[list(QUERY_COLUMNS)].rename(columns=QUERY_COLUMNS), hide_index=True, placeholder="", width="stretch",
                     key="open_queries", column_config={"Question": st.column_config.TextColumn(width="large")})


def show_history(profile) -> None:
    st.subheader("Audit history")
    history = profile.history
    corrections = int((history.action == "CORRECT").sum())
    st.caption(f"Every upload that inserted a record of {profile.subject_id} and every correction since "
               f"({corrections} value(s) corrected), oldest first: who, when, which file and line, old and new value, and why.")
    shown = history.rename(columns=HISTORY_COLUMNS)
    st.dataframe(shown, hide_index=True, placeholder="", width="stretch", height=min(38 + 35 * len(shown), 420), key="history",
                 column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    ui.download_csv(shown, f"audit-{profile.subject_id}.csv", "Download the audit history (CSV)", key="history_csv")


def show_emergency_unblinding(subject_id: str) -> None:
    """For the subject's investigator, in an emergency only: the arm of this one subject, with a
    reason kept in the audit trail; monitors see on the study overview that it happened."""
    me = data.user()
    if not (me.blinded and may(me, Permission.UNBLIND)):
        return
    told = st.session_state.setdefault("unblinded", {})
    with st.expander("Emergency unblinding", icon=":material/emergency:", expanded=subject_id in told):
        if subject_id in told:
            st.error(f"**{subject_id}** is in the arm **{told[subject_id]}**. Keep it to the care of the subject.",
                     icon=":material/visibility:")
            return
        st.caption("Only when the care of the subject needs the treatment known. You sign it with your password; the reason, "
                   "your name and the time go into the audit trail, and the monitors are told.")
        signing = has_accounts(data.store())  # a study without accounts has nobody to sign
        with st.form(f"unblind-{subject_id}"):
            reason = st.text_input("Reason", placeholder="e.g. severe scalp reaction: the treating dermatologist needs the treatment")
            password = st.text_input("Your password (electronic signature)", type="password", disabled=not signing,
                                     autocomplete="current-password",
                                     help=f"Signing means: I, the signed-in user, unblind {subject_id} for this reason. "
                                          "It is kept in the audit trail.")
            sure = st.checkbox(f"I need to know the arm of {subject_id} now")
            go = st.form_submit_button("Sign and unblind this subject", type="primary", icon=":material/draw:")
        if go:
            if not sure:
                st.warning("Tick the box to confirm that the arm must be known now.")
                return
            try:
                told[subject_id] = unblind(data.store(), me, subject_id, reason, password=password or None)
            except TrialError as exc:
                st.error(ui.plain(exc))
                return
            st.rerun()


ui.heading("Subject profile", "One subject at a glance: key facts, visits, sessions and adverse events over time, "
                              "the hair counts, and every change made to the subject's records.")
ui.require_subjects("the subject profile needs the subjects file")
labels = ui.arm_labels()
visit_labels = ui.visit_labels()
subject = pick_subject(data.cached(subject_index), labels)
profile = data.cached(subject_profile, subject)
if profile is None:  # gone since the list was read (a new data version): the next run lists it again
    st.info(f"{subject} is no longer in the database.")
    st.stop()

show_facts(profile.facts, labels)
show_emergency_unblinding(profile.subject_id)
show_open_queries(profile.subject_id)
st.plotly_chart(timeline(profile.facts, profile.hair_counts, profile.sessions, profile.adverse_events, visit_labels),
                width="stretch", config=ui.PLOTLY_CONFIG)
show_hair_counts(profile, visit_labels)
show_events_and_sessions(profile)
show_history(profile)
