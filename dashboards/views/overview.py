"""Study overview: what a monitor opens before a monitoring visit or a safety review.

The whole study, or the sites chosen at the top: screening and randomization against target,
the visit-completion matrix, out-of-window visits, missing assessments, data-quality findings and
the latest uploads. Every number comes from ``trial.readers.monitoring`` (counted in DuckDB), cached on
the data version.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, ui
from dashboards.catalogue import pages_for
from dashboards.charts import monitoring as charts
from trial.governance import data_queries
from trial.governance.unblinding import unblindings
from trial.readers import monitoring
from trial.reports.formats import fmt_num

METRIC_WIDTH = 150  # px: six fit across a desktop page, two across a phone
LIST_HEIGHT = 380  # long lists scroll inside the table (Streamlit draws only the visible rows)


def _count(value: int) -> str:
    return f"{value:,}"


def _share(pct: float | None, of: str | None = None) -> str | None:
    if pct is None:
        return None
    return f"{fmt_num(pct)} %" + (f" of {of}" if of else "")


def _metric(label: str, value: int, share: str | None = None, help: str | None = None) -> None:
    st.metric(label, _count(value), share, delta_color="off", delta_arrow="off", help=help, border=True,
              width=METRIC_WIDTH, height="stretch")


def _download(frame: pd.DataFrame, file_name: str, label: str, key: str) -> None:
    ui.download_csv(frame, file_name, label, key=key)


def _list_height(frame: pd.DataFrame) -> int:
    """Short lists take their own height; long ones scroll inside LIST_HEIGHT pixels."""
    return min(LIST_HEIGHT, 38 + 35 * max(len(frame), 1))


def _visit_filter(frame: pd.DataFrame, labels: dict[str, str], key: str) -> pd.DataFrame:
    """Visit and subject filters above a list; the rows that pass them."""
    left, right = st.columns([2, 1])
    visits = left.multiselect("Visits", [v for v in labels if v in set(frame.visit)], format_func=labels.get,
                              placeholder="All visits", key=f"{key}_visits")
    subject = right.text_input("Subject contains", key=f"{key}_subject", placeholder="e.g. S01-004")
    if visits:
        frame = frame[frame.visit.isin(visits)]
    if subject.strip():
        frame = frame[frame.subject_id.str.contains(subject.strip(), case=False, regex=False)]
    return frame


def _unblindings() -> None:
    """Emergency unblindings, for the monitors to follow up (the arm is not shown)."""
    done = data.cached(unblindings)
    if done.empty:
        return
    lines = "\n".join(f"- **{r.subject_id}** on {pd.Timestamp(r.unblinded_at):%Y-%m-%d %H:%M} UTC by {ui.plain(r.user_name)}: "
                      f"{ui.plain(r.reason)}"
                      for r in done.head(10).itertuples(index=False))
    more = f"\n\n…and {len(done) - 10} earlier." if len(done) > 10 else ""
    st.warning(f"**Emergency unblinding: {len(done)} subject(s)**\n\n{lines}{more}", icon=":material/emergency:")


def _open_queries(sites: tuple[str, ...]) -> pd.DataFrame:
    """Data queries not closed yet, per site, for the sites shown (those the user may see)."""
    counts = data.cached(data_queries.open_query_counts)  # of the user's sites only (scoped view)
    if sites:
        counts = counts[counts.site_id.isin(sites)]
    return counts.groupby("site_id")[["open_queries", "awaiting_answer", "awaiting_review"]].sum().reset_index()


def _open_queries_metric(by_site: pd.DataFrame) -> None:
    answered = int(by_site.awaiting_review.sum())
    _metric("Open queries", int(by_site.open_queries.sum()), f"{_count(answered)} answered" if answered else None,
            help="Data queries not closed yet; the answered ones wait for a monitor to close or re-open them.")


def _open_queries_line(by_site: pd.DataFrame) -> None:
    """Open queries by site, under the headline, with the way to the queries page."""
    if by_site.empty:
        return
    per_site = " · ".join(f"{r.site_id} {r.open_queries:,} ({r.awaiting_answer:,} awaiting the site)"
                          for r in by_site.itertuples(index=False))
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(f"Open data queries by site: {per_site}")
    if any(spec.path == "views/queries.py" for spec in pages_for(data.user())):
        right.page_link("views/queries.py", label="Go to data queries", icon=":material/forum:")


# The lists and their filters are fragments: filtering one reruns that list alone, not the page.
@st.fragment
def _window_list(visits: pd.DataFrame, labels: dict[str, str]) -> None:
    st.markdown("**List of out-of-window visits**")
    listed = _visit_filter(visits, labels, "window")
    st.caption(f"{len(listed):,} of {len(visits):,} shown · days outside: negative = before the window opened")
    st.dataframe(
        listed.assign(visit=listed.visit.map(labels)), hide_index=True, placeholder="", width="stretch", height=_list_height(listed),
        column_order=["site_id", "subject_id", "visit", "assessment_date", "study_day", "earliest_day", "latest_day",
                      "days_outside"],
        column_config={"site_id": "Site", "subject_id": "Subject", "visit": "Visit",
                       "assessment_date": st.column_config.DateColumn("Assessed", format="YYYY-MM-DD"),
                       "study_day": "Study day", "earliest_day": "Window from day", "latest_day": "Window to day",
                       "days_outside": "Days outside"},
    )
    _download(listed, "out_of_window_visits.csv", "Download this list as CSV", "download_window")


@st.fragment
def _missing_list(missing: pd.DataFrame, labels: dict[str, str]) -> None:
    st.markdown("**List of missing assessments**")
    listed = _visit_filter(missing, labels, "missing")
    st.caption(f"{len(listed):,} of {len(missing):,} shown")
    st.dataframe(
        listed.assign(visit=listed.visit.map(labels), status=listed.status.str.replace("_", " ").str.capitalize()),
        hide_index=True, placeholder="", width="stretch", height=_list_height(listed),
        column_order=["site_id", "subject_id", "visit", "window_opens", "window_closes", "days_overdue", "status",
                      "status_date"],
        column_config={"site_id": "Site", "subject_id": "Subject", "visit": "Visit",
                       "window_opens": st.column_config.DateColumn("Window opened", format="YYYY-MM-DD"),
                       "window_closes": st.column_config.DateColumn("Window closed", format="YYYY-MM-DD"),
                       "days_overdue": "Days since close", "status": "Subject status",
                       "status_date": st.column_config.DateColumn("Status date", format="YYYY-MM-DD")},
    )
    _download(listed, "missing_assessments.csv", "Download this list as CSV", "download_missing")


@st.fragment
def _findings_list(findings: pd.DataFrame) -> None:
    left, right = st.columns([1, 2])
    status = left.segmented_control("Status", ["open", "corrected", "all"], default="open", key="findings_status",
                                    format_func=str.capitalize)
    rules = right.multiselect("Rules", sorted(findings.rule.unique()), placeholder="All rules", key="findings_rules")
    listed = findings if status in (None, "all") else findings[findings.status == status]
    if rules:
        listed = listed[listed.rule.isin(rules)]
    st.caption(f"{len(listed):,} of {len(findings):,} shown")
    st.dataframe(
        listed.assign(status=listed.status.str.capitalize()), hide_index=True, placeholder="", width="stretch",
        height=_list_height(listed),
        column_order=["status", "site_id", "subject_id", "message", "rule", "file_name", "line", "column_name", "value",
                      "times_reported", "last_reported_utc"],
        column_config={"status": "Status", "site_id": "Site", "subject_id": "Subject",
                       "message": st.column_config.TextColumn("Finding", width="large"), "rule": "Rule",
                       "file_name": "File", "line": "Line", "column_name": "Column", "value": "Value",
                       "times_reported": st.column_config.NumberColumn("Reported", help="Uploads that reported it"),
                       "last_reported_utc": st.column_config.DatetimeColumn("Last reported (UTC)", format="YYYY-MM-DD HH:mm")},
    )
    _download(listed, "data_quality_findings.csv", "Download these findings as CSV", "download_findings")


ui.heading(
    "Study overview",
    "Before a monitoring visit or a safety review: is recruitment on target, are visits happening "
    "on time, and what do the uploads flag?",
)
ui.require_subjects("the study overview needs screened subjects")

site_table = data.cached(monitoring.study_sites)
site_names = dict(zip(site_table.site_id, site_table.name, strict=True))
mine = None if data.user().sites is None else sorted(data.user().sites)  # a site user's sites (None: every site)
chosen = st.multiselect(
    "Sites", list(site_table.site_id), format_func=lambda s: f"{s} · {site_names[s]}" if site_names.get(s) else s,
    placeholder="All sites" if mine is None else "All your sites", key="overview_sites",
    help="Leave empty for the whole study. Uploads and the errors of rejected files are study-wide." if mine is None
    else f"Leave empty for every site your account sees ({', '.join(mine)}).",
)
sites = tuple(chosen)
visit_labels = ui.visit_labels()

view = data.cached(monitoring.overview, sites)
top = view.headline
cut = top.data_cut.isoformat() if top.data_cut else "none yet"


def _scope() -> str:
    """Which sites the page shows, in words: a site user is told it is their site, never "all sites"."""
    if mine is not None:
        shown = list(sites) or mine
        named = ("site " if len(shown) == 1 else "sites ") + " and ".join(shown)
        return f"**{named}**, " + ("the site your account sees" if len(mine) == 1 else f"of the {len(mine)} sites your account sees")
    return "**all sites**" if not sites else f"**{len(sites)} of {len(site_table)} sites**"


st.caption(f"Showing {_scope()} · data cut **{cut}** (the latest date in the study data)")

# A wrapping row: six across on a desktop, two or three across on a phone.
with st.container(horizontal=True, gap="small"):
    _metric("Screened", top.screened, help="Every subject in the subjects files (table 14.1.1).")
    _metric("Screen failures", top.screen_failures, _share(top.screen_failure_pct, "screened"),
            help="Screened subjects recorded as not eligible.")
    _metric("Randomized", top.randomized, _share(top.randomized_pct_of_target, "target"),
            help=f"Randomized subjects against the target enrolment of the sites shown ({_count(top.target_enrolment)}).")
    _metric("Completed", top.completed, _share(top.completed_pct),
            help="Randomized subjects who completed the study; the share is of the randomized.")
    _metric("Discontinued", top.discontinued, _share(top.discontinued_pct),
            help="Randomized subjects who left the study early; the share is of the randomized.")
    _metric("Open warnings", top.open_warnings,
            f"{_count(top.corrected_warnings)} corrected" if top.corrected_warnings else None,
            help="Distinct data-quality warnings kept from loaded uploads whose flagged value is still in the data; "
                 "a re-uploaded file's repeat of a warning counts once.")
    queries_open = _open_queries(sites)
    _open_queries_metric(queries_open)
_open_queries_line(queries_open)
_unblindings()

tabs = st.tabs(["Enrolment", "Visit completion", "Out of window", "Missing assessments", "Data quality", "Recent uploads"])

# ----------------------------------------------------------------------------- enrolment
with tabs[0]:
    progress = view.progress
    shown_sites = site_table[site_table.site_id.isin(sites)] if sites else site_table
    if top.randomized == 0:
        st.info("No subject is randomized yet: the enrolment curve starts with the first randomization file.")
    else:
        curve = view.curve
        st.plotly_chart(charts.enrolment_over_time(curve.points, shown_sites, curve.period, data_cut=top.data_cut),
                        width="stretch", key="enrolment_curve", config=ui.PLOTLY_CONFIG)
    st.plotly_chart(charts.screening_by_site(progress), width="stretch", key="screening_by_site", config=ui.PLOTLY_CONFIG)
    st.markdown("**Screening and disposition by site**")
    one_site = int(progress.site_id.notna().sum()) == 1  # its total row would repeat it (as "All sites")
    table = progress[progress.site_id.notna()] if one_site else progress.assign(site_id=progress.site_id.fillna("All sites"))
    st.dataframe(
        table,
        hide_index=True, placeholder="", width="stretch", height=_list_height(table),
        column_order=["site_id", "name", "target_enrolment", "screened", "screen_failures", "screen_failure_pct",
                      "randomized", "randomized_pct_of_target", "completed", "discontinued", "last_randomized"],
        column_config={
            "site_id": st.column_config.TextColumn("Site", pinned=True, width="small"),
            "name": st.column_config.TextColumn("Name", width="medium"),
            "target_enrolment": st.column_config.NumberColumn("Target"),
            "screened": st.column_config.NumberColumn("Screened"),
            "screen_failures": st.column_config.NumberColumn("Failures"),
            "screen_failure_pct": st.column_config.NumberColumn("Failures %", format="%.1f %%", help="Screen failures, % of screened"),
            "randomized": st.column_config.NumberColumn("Randomized"),
            "randomized_pct_of_target": st.column_config.ProgressColumn(
                "% of target", format="%.0f %%", min_value=0, max_value=100, width="small"),
            "completed": st.column_config.NumberColumn("Completed"),
            "discontinued": st.column_config.NumberColumn("Discontinued"),
            "last_randomized": st.column_config.DateColumn("Last randomized", format="YYYY-MM-DD"),
        },
    )
    st.caption("Screen-failure reasons are not recorded: the subjects file holds eligibility (Y/N) only."
               + ("" if one_site else " The first row totals the sites shown."))

# ----------------------------------------------------------------------------- visit completion
completion = view.completion
counted = bool((completion.completed > 0).any())  # any hair count at all (for these sites)
with tabs[1]:
    st.caption(
        "**Expected** at a visit: randomized subjects whose visit window closed before the data cut and who "
        "had not discontinued before the visit's target day, plus any subject already assessed at it. "
        "**Completed**: a hair count is recorded for the visit, in or out of its window."
    )
    if completion.empty:
        st.info("No visit is expected yet: no visit window has closed for a randomized subject by the data cut.")
    else:
        if not counted:
            st.info("No hair counts are uploaded yet: every expected visit counts as missing.")
        st.plotly_chart(charts.completion_matrix(completion, visit_labels, site_names), width="stretch",
                        key="completion_matrix", config=ui.PLOTLY_CONFIG)

# ----------------------------------------------------------------------------- out of window
with tabs[2]:
    window = view.window
    st.caption("Visits whose hair count was taken outside the protocol window (the window flag of the "
               "hair-count analysis dataset, days counted from randomization).")
    if not counted:
        st.info("No hair counts are uploaded yet: visit windows are judged on the hair-count dates.")
    elif window.visits.empty:
        st.success("Every hair count so far was taken inside its visit window.")
    else:
        st.plotly_chart(charts.out_of_window_by_visit(window.counts, visit_labels), width="stretch",
                        key="out_of_window_by_visit", config=ui.PLOTLY_CONFIG)
        by_site = window.counts[~window.counts.total].pivot(index="site_id", columns="visit", values="visits")
        by_site = by_site.reindex(columns=[v for v in visit_labels if v in by_site.columns]).rename(columns=visit_labels)
        st.markdown("**Out-of-window visits by site**")
        st.dataframe(by_site.fillna(0).astype(int).rename_axis("Site").reset_index(), hide_index=True, placeholder="", width="stretch",
                     height=_list_height(by_site))
        _window_list(window.visits, visit_labels)

# ----------------------------------------------------------------------------- missing assessments
with tabs[3]:
    missing = view.missing
    st.caption("A missing assessment: the visit window closed before the data cut, the subject had not "
               "discontinued before the visit's target day, and no hair count is recorded for the visit.")
    if completion.empty:
        st.info("No visit is due yet: no visit window has closed for a randomized subject by the data cut.")
    elif missing.empty:
        st.success("No missing assessment: every visit due by the data cut has its hair count.")
    else:
        counts = completion[~completion.total].pivot(index="site_id", columns="visit", values="missing")
        counts = counts.reindex(columns=[v for v in visit_labels if v in counts.columns]).rename(columns=visit_labels)
        counts = counts.loc[counts.fillna(0).to_numpy().any(axis=1)]  # sites with something missing
        st.markdown("**Missing assessments by site** (sites with none left out)")
        st.dataframe(counts.fillna(0).astype(int).rename_axis("Site").reset_index(), hide_index=True, placeholder="", width="stretch",
                     height=_list_height(counts))
        _missing_list(missing, visit_labels)

# ----------------------------------------------------------------------------- data quality
with tabs[4]:
    findings = view.warnings
    st.caption("Warnings kept from loaded uploads (the file loaded; a monitor should look), each distinct finding "
               "once however often its file was uploaded. **Corrected**: the flagged value has since been replaced.")
    if findings.empty:
        st.success("No data-quality warning in the loaded uploads" + (" of these sites." if sites else "."))
    else:
        st.dataframe(view.warning_counts, hide_index=True, placeholder="", width="content",
                     column_config={"rule": "Rule", "domain": "Domain", "open": "Open", "corrected": "Corrected"})
        _findings_list(findings)
    st.markdown("**Errors of rejected uploads, by rule**")
    rejected = view.rejected
    if rejected.empty:
        st.caption("No upload has been rejected.")
    else:
        st.caption("Study-wide (a rejected file's rows never reach a site); each distinct error once.")
        st.dataframe(
            rejected, hide_index=True, placeholder="", width="stretch", height=_list_height(rejected),
            column_config={"rule": "Rule", "errors": "Errors", "files": "Files",
                           "example": st.column_config.TextColumn("Example", width="large"),
                           "last_seen_utc": st.column_config.DatetimeColumn("Last seen (UTC)", format="YYYY-MM-DD HH:mm")},
        )

# ----------------------------------------------------------------------------- recent uploads
with tabs[5]:
    uploads = view.uploads
    st.caption(f"The latest {monitoring.RECENT_UPLOADS} uploads, newest first, for the whole study.")
    st.dataframe(
        uploads, hide_index=True, placeholder="", width="stretch",
        column_order=["uploaded_at_utc", "file_name", "domain", "status", "rows_in_file", "rows_inserted", "rows_corrected",
                      "errors", "warnings", "user_name", "upload_id"],
        column_config={"uploaded_at_utc": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm"),
                       "file_name": "File", "domain": "Domain", "status": "Status", "rows_in_file": "Rows",
                       "rows_inserted": "New", "rows_corrected": "Corrected", "errors": "Errors", "warnings": "Warnings",
                       "user_name": "User", "upload_id": "Upload"},
    )
