"""Pull test and global assessment: hair shedding by visit and arm (ARD 14.2.3) with Fisher's
exact test at the primary visit, and the investigator's and patients' global assessment at the
primary visit (14.2.5): the scores −3 … +3 by arm and the responders (+2 or +3) with Fisher's test.
Percentages are the ARD's, of the arm's ITT count."""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from dashboards.charts import efficacy as charts
from trial.readers.efficacy import assessments
from trial.reports.formats import fmt_count_pct, fmt_int, fmt_num, fmt_p, visit_label

SCALE = "−3 greatly worse, −2 moderately worse, −1 slightly worse, 0 no change, +1 slightly, +2 moderately, +3 greatly improved"


def pull_test_section(ard, study) -> None:
    st.subheader("Pull test")
    rows = assessments.pull_test_rows(ard, study)
    if rows.empty:
        st.info("No pull tests yet: upload the pull-test file on the Upload page to see shedding by visit.")
        return
    visit = study.primary_visit.code
    at_primary = rows[rows.visit == visit]
    comparisons = assessments.pull_test_comparisons(ard, study)
    metrics = [(r.arm_label, fmt_count_pct(r.count, r.pct), f"positive at {visit_label(visit)}, n (%) of {fmt_int(r.denominator)} tested")
               for r in at_primary.itertuples(index=False)]
    several = len(comparisons) > 1
    metrics += [(f"Fisher's exact test, {visit_label(c.visit)}", fmt_p(c.p_value), c.test if several else "between the arms")
                for c in comparisons]
    if metrics:
        for column, (label, value, note) in zip(st.columns(max(len(metrics), 3)), metrics):  # one metric stays metric-sized
            column.metric(label, value, note, delta_color="off", delta_arrow="off", border=True)
    chart, numbers = st.columns([1, 1], gap="medium")
    chart.plotly_chart(charts.pull_test_by_visit(rows, study), width="stretch", config=ui.PLOTLY_CONFIG, key="assessments_pull_chart")
    numbers.table(assessments.pull_test_table(rows, study), hide_index=True)
    threshold = fmt_num(study.pull_test.positive_above_pct, 0)
    numbers.caption(f"Positive: more than {threshold} % of the grasped hairs came out. Percentages are of the subjects tested at "
                    "the visit; subjects not tested are counted apart, as a percentage of the arm's ITT count, never as negative "
                    "(table 14.2.3).")


def global_section(ard, study) -> None:
    visit = visit_label(study.primary_visit.code)
    st.subheader(f"Global assessment at {visit}")
    params = assessments.assessors(ard)
    if not params:
        st.info("No global assessments yet: upload the global-assessment file on the Upload page to see the scores.")
        return
    st.caption(f"A 7-point scale: {SCALE}. Responders scored +2 or +3. Percentages are of the arm's ITT count: subjects not "
               "assessed count in the denominator, so an arm's bar can fall short of 100 % (table 14.2.5).")
    for param in params:
        who = assessments.assessor_label(param)
        scores = assessments.score_rows(ard, study, param)
        responders = assessments.responder_rows(ard, study, param)
        chart, numbers = st.columns([3, 2], gap="medium", vertical_alignment="center")
        chart.plotly_chart(charts.score_distribution(scores, study, title=f"{who}'s assessment"), width="stretch",
                           config=ui.PLOTLY_CONFIG, key=f"assessments_scores_{param}")
        numbers.table(assessments.responder_table(responders), hide_index=True)
        numbers.markdown(assessments.responder_sentence(responders, assessments.responder_comparisons(ard, study, param), study, param))


ui.heading("Pull test & global assessment")
ui.require_subjects("the pull test and global assessment need subjects and their assessments")
study = data.study()
ard = data.ard()
if study.control_arm is None:
    st.caption("Hair shedding by visit, and how the investigator and the patients judged the change, with "
               f"{study.arms[0].label.lower()}. Intent-to-treat population.")
else:
    st.caption("Hair shedding by visit, and how investigators and patients judged the change, by arm, with Fisher's exact "
               "tests at the primary visit. Intent-to-treat population.")
pull_test_section(ard, study)
st.divider()
global_section(ard, study)
