"""Tolerability: what a monitor reviews before a safety review.

Treatment-emergent adverse events by arm (overview, preferred terms with the risk difference,
maximum severity and strongest relationship), every event in a filterable listing, and how the
microneedling sessions went (pain and pinpoint bleeding by session). The numbers are the ARD's
(tables 14.3.1–14.3.4), formatted as the end-of-study pack formats them.
"""

from __future__ import annotations

import math

import streamlit as st

from dashboards import data, ui
from dashboards.charts import SCREEN_LAYOUT, arm_colours
from dashboards.charts.safety import bleeding_by_session, pain_by_session, worst_bars
from trial.analysis.ard_safety import RELATIONSHIP_ORDER, SEVERITY_ORDER
from trial.governance.access import WITHHELD_AE_COLUMNS
from trial.readers.ae_listing import COLUMNS, FILTERS, ae_listing, filter_events
from trial.reports.figures import ae_incidence
from trial.readers.tolerability import (
    ALL_TERMS,
    CI_METHOD,
    RISK_DIFFERENCE,
    ToleranceScreen,
    tolerability_screen,
)

TABS = ("Overview", "By preferred term", "Severity and relationship", "Listing", "Microneedling sessions")
PAGE_SIZES = (25, 50, 100, 250)


def arm_columns(screen: ToleranceScreen) -> dict:
    """Each arm's n (%) column headed by the arm and its N, then its events (narrow)."""
    config = {}
    for arm in screen.arms:
        config[arm.subjects_column] = st.column_config.TextColumn(arm.heading, help=f"Subjects, n (%) of the {arm.n} in the safety population")
        config[arm.events_column] = st.column_config.NumberColumn("Events", format="%d", width="small", help=f"TEAEs in {arm.label}")
    return config


def stacked_by_arm(frame, screen: ToleranceScreen, label: str) -> None:
    """``frame`` for a phone: each arm's n (%) and events in a table of its own under its heading,
    then the risk difference in one more."""
    for arm in screen.arms:
        st.markdown(f"**{ui.plain(arm.heading)}**")
        st.table(frame[[label, arm.subjects_column, arm.events_column]].set_axis([label, "n (%)", "Events"], axis=1),
                 hide_index=True)
    if screen.contrast and RISK_DIFFERENCE in frame:
        st.markdown(f"**{ui.plain(screen.contrast_label)}**")
        st.table(frame[[label, RISK_DIFFERENCE]], hide_index=True)


def show_overview(screen: ToleranceScreen) -> None:
    st.subheader("Overview of TEAEs (table 14.3.1)")
    overview = screen.overview
    ui.wide_or_stacked(
        "overview",
        lambda: st.dataframe(overview, hide_index=True, placeholder="", width="stretch", column_config=arm_columns(screen)),
        lambda: stacked_by_arm(overview, screen, "Subjects with"),
    )
    st.caption("A subject counts once per row, however many events it had; n (%) of the arm's safety population (N); "
               "events: all TEAEs of that kind." + (f" {CI_METHOD}" if screen.contrast else ""))


def show_by_term(screen: ToleranceScreen, study) -> None:
    st.subheader("TEAEs by system organ class and preferred term (table 14.3.2)")
    terms = screen.by_term
    if terms.empty:
        st.info("No treatment-emergent adverse event has been recorded yet.")
        return
    left, right = st.columns(2, vertical_alignment="bottom")
    shown = left.segmented_control("Terms in the chart", ["10 most frequent", "All"], default="10 most frequent", key="pt_top",
                                   help=f"{int((terms['Preferred term'] != ALL_TERMS).sum())} preferred terms in all.")
    order = (right.segmented_control("Order", ["Incidence", "Risk difference"], default="Incidence", key="pt_order")
             if screen.contrast else "Incidence")
    figure = ae_incidence(
        data.ard(), study, top=None if shown == "All" else 10, order="risk_difference" if order == "Risk difference" else "incidence",
        title="Incidence by arm" + (" and risk difference" if screen.contrast else ""),
        panel_titles=("Subjects, %", "Risk difference, %"),  # short: the panels are narrow on a phone
        layout={**SCREEN_LAYOUT, "legend": {"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0}},
    )
    st.plotly_chart(figure, width="stretch", config=ui.PLOTLY_CONFIG)
    st.dataframe(terms, hide_index=True, placeholder="", width="stretch", height=min(38 + 35 * len(terms), 460), column_config={
        "All arms, %": st.column_config.NumberColumn(format="%.1f", help="Subjects with the term, % of the whole safety population"),
        "Risk difference, %": st.column_config.NumberColumn(format="%.1f"),
        **arm_columns(screen),
    })
    st.caption("Grouped as table 14.3.2: each system organ class (all its terms) and then its preferred terms, most frequent "
               "first; click a column heading to sort by it. n (%) of the arm's safety population (N); a subject counts once "
               "per row." 
               + (f" {CI_METHOD}" if screen.contrast else ""))


def show_worst(screen: ToleranceScreen, colours) -> None:
    st.subheader("Subjects by maximum severity and strongest relationship (table 14.3.3)")
    st.caption("Each subject with a TEAE counts once: at the most severe of its TEAEs, and at the strongest "
               "relationship to study treatment the investigator gave any of them. % of the arm's safety population.")
    worst = screen.worst
    if not worst["count"].any():
        st.info("No treatment-emergent adverse event has been recorded yet.")
        return
    parts = (("Maximum severity", SEVERITY_ORDER), ("Strongest relationship", RELATIONSHIP_ORDER))
    for column, (measure, order) in zip(st.columns(2), parts, strict=True):
        rows = worst[worst.measure == measure]
        column.plotly_chart(worst_bars(rows, colours, title=measure), width="stretch", config=ui.PLOTLY_CONFIG)
        table = rows.pivot(index="level_label", columns="arm", values="cell")
        table = table.reindex([level.replace("_", " ").capitalize() for level in order])
        table = table[[a.code for a in screen.arms if a.code in table.columns]]
        table.columns = [a.heading for a in screen.arms if a.code in table.columns]
        # an HTML table: its arm headings wrap, so both arms fit the half page (or a phone) side by side
        column.table(table.rename_axis(measure).reset_index(), hide_index=True)


def show_listing(study, labels) -> None:
    st.subheader("Adverse event listing")
    listing = data.cached(ae_listing)
    if listing.empty:
        st.info("No adverse event has been recorded yet: upload the adverse-events file on the Upload page.")
        return
    withheld = {"arm", *WITHHELD_AE_COLUMNS} if data.user().blinded else set()  # they tell the arm
    listing = listing.drop(columns=sorted(withheld & set(listing.columns)))
    filters_shown = {column: label for column, label in FILTERS.items() if column not in withheld}
    present = {column: set(listing[column].unique()) for column in filters_shown}
    choices = {
        "arm": [a for a in study.arm_codes if a in present.get("arm", ())],
        "site_id": sorted(present["site_id"]),
        "severity": [s for s in SEVERITY_ORDER if s in present["severity"]],
        "serious": ["Y", "N"],
        "relationship": [r for r in RELATIONSHIP_ORDER if r in present["relationship"]],
        "pt": sorted(present["pt"]),
    }
    readable = {"arm": lambda v: labels.get(v, v), "serious": {"Y": "Serious", "N": "Not serious"}.get,
                "severity": lambda v: v.capitalize(), "relationship": lambda v: v.replace("_", " ").capitalize()}
    chosen = {}
    for i, (column, label) in enumerate(filters_shown.items()):
        if i % 3 == 0:  # rows of three, so that a phone lists them in reading order
            filters = st.columns(3)
        chosen[column] = filters[i % 3].multiselect(label, choices[column], key=f"ae_filter_{column}", placeholder="All",
                                                    format_func=readable.get(column, str))
    teae_only = st.toggle("Treatment-emergent events only", key="ae_teae_only")
    events = filter_events(listing, chosen, treatment_emergent_only=teae_only)
    table = st.container()
    size_column, count_column, pages_column = st.columns([1, 1, 2], vertical_alignment="center")
    page_size = size_column.selectbox("Rows a page", PAGE_SIZES, index=1, key="ae_page_size", label_visibility="collapsed",
                                      format_func=lambda n: f"{n} rows a page")
    pages = max(1, math.ceil(len(events) / page_size))
    count_column.markdown(f"**{len(events):,}** of {len(listing):,} events")
    page = 1
    if pages > 1:  # a new filter or page size starts again at page 1 (the key changes with them)
        with pages_column:
            page = st.pagination(pages, key=f"ae_page_{hash(repr((chosen, page_size, teae_only)))}", max_visible_pages=5)
    rows = events.iloc[(page - 1) * page_size: page * page_size]
    table.dataframe(
        (rows if "arm" in withheld else rows.assign(arm=rows.arm.map(labels).fillna(rows.arm))).rename(columns=COLUMNS),
        hide_index=True, placeholder="", width="stretch",
        height=min(38 + 35 * len(rows), 560),
        column_config={"Onset": st.column_config.DateColumn(format="YYYY-MM-DD"),
                       "Resolved": st.column_config.DateColumn(format="YYYY-MM-DD"),
                       "Study day": st.column_config.NumberColumn(help="Days from randomization to onset"),
                       "Days": st.column_config.NumberColumn(help="Duration in days, onset and resolution included")},
    )
    # The CSV is written only when asked for (a deferred download): thousands of events at 10,000 subjects.
    ui.download_csv(events.rename(columns=COLUMNS), "adverse-events.csv", f"Download the {len(events):,} events (CSV)", key="ae_csv")


def show_sessions(screen: ToleranceScreen, study, colours) -> None:
    st.subheader("Microneedling sessions (table 14.3.4)")
    if data.user().blinded:
        st.info("Withheld from blinded users: microneedling sessions happen in one arm only, so the session log "
                "would tell the allocation. The unblinded statistician reviews it.", icon=":material/visibility_off:")
        return
    if not any(a.microneedling for a in study.arms):
        st.info("This study has no microneedling arm.")
        return
    if screen.session_metrics.empty or screen.by_session.empty:
        st.info("No microneedling session has been recorded yet: upload the procedures file on the Upload page.")
        return
    for row in screen.session_metrics.itertuples(index=False):
        st.caption(f"**{row.arm_label}**, every session of the safety population")
        numbers = st.columns(4)
        numbers[0].metric("Sessions", row.sessions_total, help=f"Needle length {row.needle_mm} mm (median).", border=True)
        numbers[1].metric("Sessions per subject, mean (SD)", row.sessions_per_subject, border=True)
        numbers[2].metric("Pain VAS, mean (SD)", row.pain_mean_sd, help=f"Median (min, max): {row.pain_median_range}", border=True)
        numbers[3].metric("Pinpoint bleeding, n (%)", row.bleeding, help=f"n (%) of the {row.bleeding_of} sessions recorded",
                          border=True)
    show = st.segmented_control("Pain shown as", ["Box", "Mean and 95 % CI"], default="Box", key="pain_show")
    left, right = st.columns(2)
    left.plotly_chart(pain_by_session(screen.by_session, colours, show="mean" if show == "Mean and 95 % CI" else "box"),
                      width="stretch", config=ui.PLOTLY_CONFIG)
    right.plotly_chart(bleeding_by_session(screen.by_session, colours), width="stretch", config=ui.PLOTLY_CONFIG)
    st.caption("Sessions are numbered by date for each subject (1 = first). Pain on a 0–10 visual analogue scale: each box "
               "spans the quartiles with the median across it, the whiskers the range, the dashed line the mean. "
               "Bleeding as % of the sessions where it was recorded.")


ui.heading(
    "Tolerability",
    "Treatment-emergent adverse events (TEAEs: onset on or after randomization) in the safety population, by arm, "
    "and how the microneedling sessions were tolerated. The numbers are those of tables 14.3.1–14.3.4 of the pack.",
)
ui.require_subjects("the tolerability tables need randomized subjects and their adverse events")
screen = data.cached(tolerability_screen)
if screen.safety_subjects == 0:
    st.info("No subject is in the safety population yet (randomized and treated). Upload the randomization, "
            "then the microneedling sessions or a visit after randomization, and the adverse events.")
    st.stop()

study = data.study()
colours = arm_colours(study)
labels = ui.arm_labels()
any_row = screen.overview.iloc[0]

heads = st.columns(len(screen.arms) + (1 if screen.contrast else 0))
for column, arm in zip(heads, screen.arms, strict=False):
    column.metric(f"Any TEAE · {arm.label}", any_row[arm.subjects_column], border=True,
                  help=f"Subjects with at least one TEAE, n (%) of the arm's {arm.n} subjects in the safety population; "
                       f"{any_row[arm.events_column]} events.")
if screen.contrast:
    heads[-1].metric("Any TEAE: risk difference, % (95 % CI)", any_row[RISK_DIFFERENCE], border=True,
                     help=f"{screen.contrast_label}. {CI_METHOD}")

# Only the open tab runs (the others cost nothing until chosen). The tab is in the address, so a
# link can open one directly: ?tab=Listing
tabs = st.tabs(list(TABS), key="tab", on_change="rerun", bind="query-params")
sections = (lambda: show_overview(screen), lambda: show_by_term(screen, study), lambda: show_worst(screen, colours),
            lambda: show_listing(study, labels), lambda: show_sessions(screen, study, colours))
for tab, show in zip(tabs, sections, strict=True):
    if tab.open:
        with tab:
            show()
