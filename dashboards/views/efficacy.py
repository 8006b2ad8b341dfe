"""Efficacy: the papers' comparison of minoxidil alone with minoxidil plus microneedling, or, in a
single-arm study, the change within the arm by diagnosis, sex and region.

The primary analysis (ARD 14.2.1) in words, metrics and the pack's table; the change from
baseline by visit (14.2.2) for a chosen parameter, measure and region; each subject's change at
the primary visit (ADHC); % change in density by subgroup (14.2.4). Numbers come from the ARD,
formatted as the end-of-study tables format them.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from dashboards.charts import efficacy as charts
from trial.governance.access import POOLED_ARM
from trial.readers.efficacy import summaries
from trial.readers.efficacy.rows import individual_values
from trial.reports.figures import MOST_BARS
from trial.reports.formats import visit_label



def caption(study) -> str:
    visit = visit_label(study.endpoint.visit)
    if study.control_arm is None:
        [arm] = study.arms
        if arm == POOLED_ARM:
            return (f"Blinded view, every arm pooled: how much did hair grow across all subjects? The change at {visit} "
                    "against baseline, by diagnosis, sex and region, and at each visit. Intent-to-treat population, observed "
                    "cases; comparisons between arms are for the unblinded statistician.")
        return (f"How much did hair grow with {arm.label.lower()}? The change within the arm at {visit} against baseline, "
                "by diagnosis, sex and region, and at each visit. Intent-to-treat population, observed cases; "
                "the numbers are those of the end-of-study tables 14.2.1, 14.2.2 and 14.2.4.")
    tests = " and ".join(a.label for a in study.arms if not a.control)
    return (f"{tests} against {study.control_arm.label}: the primary analysis at {visit}, the change from baseline at each "
            "visit, each subject's change and subgroups. Intent-to-treat population, observed cases; "
            "the numbers are those of the end-of-study tables 14.2.1, 14.2.2 and 14.2.4.")


def primary_section(ard, study) -> None:
    primary = summaries.primary_result(ard, study)
    st.subheader(f"Primary endpoint: {primary.title[0].lower()}{primary.title[1:]}")
    if not primary.available:
        st.info(primary.sentence)
        return
    for column, metric in zip(st.columns(max(len(primary.metrics), 3)), primary.metrics):
        column.metric(metric.label, metric.value, metric.note, delta_color="off", delta_arrow="off", help=metric.help, border=True)
    st.markdown(primary.sentence)
    st.table(primary.table, hide_index=True)
    if primary.has_contrast:
        st.caption("ANCOVA: least squares of the change on arm and baseline value, LS means at the mean baseline, difference "
                   "test minus control. Welch's t test and the Mann–Whitney U test as sensitivity analyses (table 14.2.1).")
    else:
        st.caption(f"{'Arms pooled' if study.arms == (POOLED_ARM,) else 'No control arm'}: the change is tested against no change, by a paired t test (and Wilcoxon's signed-rank "
                   "test) of the value at the visit against the subject's baseline (table 14.2.1).")


def choose(ard, study) -> tuple[str, str, str]:
    """The parameter, measure and region the by-visit and individual charts show; the primary
    endpoint until someone chooses otherwise."""
    e = study.endpoint
    params = summaries.parameters(ard)
    left, middle, right = st.columns([3, 2, 2])
    note = "Starts at the primary endpoint; sets the chart, the table and the individual changes below."
    param = left.segmented_control("Parameter", params, default=e.parameter if e.parameter in params else params[0], required=True,
                                   format_func=summaries.PARAMETERS.get, key="efficacy_param", help=note)
    measure = middle.segmented_control("Measure", list(summaries.MEASURES), default=e.measure, required=True,
                                       format_func=summaries.MEASURES.get, key="efficacy_measure", help=note)
    regions = summaries.regions(ard, study, param)
    region = right.selectbox("Region", regions, index=regions.index(e.region) if e.region in regions else 0,
                             format_func=str.capitalize, key="efficacy_region", help=note)
    return param, measure, region


def by_visit_section(ard, study, param: str, measure: str, region: str) -> None:
    table = summaries.by_visit_table(ard, study, param=param, measure=measure, region=region)
    if table.empty:
        st.info(f"No {summaries.PARAMETERS[param].lower()} after baseline in the {region.lower()} region yet.")
        return
    chart, numbers = st.columns([1, 1], gap="medium")
    chart.plotly_chart(charts.change_by_visit(ard, study, param=param, measure=measure, region=region), width="stretch",
                       config=ui.PLOTLY_CONFIG, key="efficacy_by_visit_chart")
    numbers.table(table, hide_index=True)
    numbers.caption("Observed cases at each visit; changes are from each subject's own baseline in the same region "
                    "(table 14.2.2). Mean (95 % CI) is the line and its error bars.")


def individual_section(study, param: str, measure: str, region: str) -> None:
    visit = study.endpoint.visit
    st.subheader(f"Individual changes at {visit_label(visit)}")
    rows = data.cached(individual_values, param, region, visit)
    if rows.empty:
        st.info(f"No subject has a {summaries.PARAMETERS[param].lower()} at {visit_label(visit)} and at baseline "
                f"in the {region.lower()} region yet.")
        return
    st.plotly_chart(charts.individual_changes(rows, study, param=param, measure=measure, region=region, visit=visit),
                    width="stretch", config=ui.PLOTLY_CONFIG, key="efficacy_individual_chart")
    left, right = st.columns([4, 1], vertical_alignment="center")
    coloured = ", coloured by arm" if len(study.arms) > 1 else ""
    if len(rows) > MOST_BARS:  # the pack's figure draws a line per arm beyond this many subjects
        left.caption(f"The {len(rows):,} subjects with a value at baseline and at {visit_label(visit)}, ordered within their arm from "
                     f"the largest gain to the largest loss and drawn as one line per arm{coloured}: a bar each would be unreadable.")
    else:
        left.caption(f"One bar per subject with a value at baseline and at {visit_label(visit)}, from the largest gain to the "
                     f"largest loss{coloured}; hover for the subject.")
    with right:
        labels = ui.arm_labels()
        download = rows.assign(arm=rows.arm.map(labels))[["subject_id", "site_id", "arm", "sex", "diagnosis", "region", "avisit",
                                                           "base", "aval", "chg", "pchg"]]
        ui.download_csv(download, f"individual-{param.lower()}-{region.lower()}-{visit.lower()}.csv", "Download values",
                        key="efficacy_individual_download")


def subgroup_section(ard, study) -> None:
    visit = visit_label(study.primary_visit.code)
    st.subheader(f"% change in density by subgroup at {visit}")
    rows = summaries.subgroup_rows(ard, study)
    if rows.empty:
        st.info(f"No subject has a density at {visit} and at baseline yet, so there are no subgroups to show.")
        return
    kept, repeats = summaries.without_repeats(rows)
    centre = st.segmented_control("Chart shows", ["mean", "median"], default="mean", required=True, key="efficacy_subgroup_centre",
                                  format_func={"mean": "Mean and 95 % CI", "median": "Median and quartiles"}.get)
    st.plotly_chart(charts.subgroups(kept, study, centre=centre), width="stretch", config=ui.PLOTLY_CONFIG, key="efficacy_subgroup_chart")
    st.table(summaries.subgroup_table(kept, study), hide_index=True)
    notes = [(f"% change = 100 × (density at {visit} − baseline) / baseline. The paired t test compares density at {visit} "
             "with baseline within each arm and subgroup (table 14.2.4).")]
    if repeats:
        notes.append(f"Not listed because they hold every subject, and would repeat *All subjects*: {', '.join(repeats)}.")
    st.caption(" ".join(notes))


ui.heading("Efficacy")
ui.require_subjects("the efficacy charts need subjects and their hair counts")
study = data.study()
ard = data.ard()
st.caption(caption(study))
if not summaries.parameters(ard):
    st.info("No hair counts yet: the efficacy charts start with the first hair-count file "
            "(baseline and later visits). Upload it on the Upload page.")
    st.page_link(ui.UPLOAD_PAGE, label="Go to Upload", icon=":material/upload:")
    st.stop()

primary_section(ard, study)
if study.control_arm is None:  # the single-arm design: the subgroups are the comparison
    subgroup_section(ard, study)
st.divider()
st.subheader("Change from baseline by visit")
param, measure, region = choose(ard, study)
by_visit_section(ard, study, param, measure, region)
individual_section(study, param, measure, region)
if study.control_arm is not None:
    subgroup_section(ard, study)
