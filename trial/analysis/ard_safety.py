"""ARD for section 14.3: treatment-emergent adverse events (overview 14.3.1, by SOC and PT 14.3.2,
by maximum severity 14.3.3) and microneedling sessions (14.3.4).

Safety population (SAF); a subject counts once per row however many events it had; percentages
are of the arm's SAF count; risk differences are test − control with Newcombe's hybrid score CI.
"""

from __future__ import annotations

import pandas as pd

from trial.analysis.ard import TOTAL, Inputs, Rows
from trial.analysis.stats import s_count, s_descriptive, s_risk_difference

SEVERITY_ORDER = ["MILD", "MODERATE", "SEVERE"]


def _teae(inputs: Inputs) -> pd.DataFrame:
    adae = inputs.adae
    return adae[adae.trtemfl & adae.saffl]


def _subjects_and_events(rows: Rows, inputs: Inputs, events: pd.DataFrame, **where) -> None:
    big_n = inputs.big_n("SAF")
    for group in [*inputs.arms, TOTAL]:
        mine = events if group == TOTAL else events[events.arm == group]
        rows.add(s_count(int(mine.subject_id.nunique()), big_n[group]) | {"events": len(mine)}, group=group, method="COUNT", **where)
    for test in inputs.tests:
        t = events[events.arm == test].subject_id.nunique()
        c = events[events.arm == inputs.control].subject_id.nunique()
        if big_n[test] and big_n[inputs.control]:
            rows.add(s_risk_difference(int(t), big_n[test], int(c), big_n[inputs.control]), group=inputs.contrast(test), method="RISK_DIFF", **where)


def overview(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.1", "SAF")
    teae = _teae(inputs)
    for category, chosen in (
        ("ANY", teae),
        ("RELATED", teae[teae.relfl]),
        ("SEVERE", teae[teae.severity == "SEVERE"]),
        ("SERIOUS", teae[teae.serfl]),
        ("LEADING_TO_WITHDRAWAL", teae[teae.withdrfl]),
    ):
        _subjects_and_events(rows, inputs, chosen, param="TEAE", category=category)
    return rows.rows


def by_term(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.2", "SAF")
    teae = _teae(inputs)
    for soc, in_soc in teae.groupby("soc", sort=True):
        _subjects_and_events(rows, inputs, in_soc, param="TEAE_SOC", category=f"soc={soc}")
        for pt, in_pt in in_soc.groupby("pt", sort=True):
            _subjects_and_events(rows, inputs, in_pt, param="TEAE_PT", category=f"soc={soc};pt={pt}")
    return rows.rows


def by_severity(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.3", "SAF")
    teae = _teae(inputs)
    level = teae.severity.map({s: i for i, s in enumerate(SEVERITY_ORDER)})
    worst = teae.assign(level=level).groupby(["arm", "subject_id"])["level"].max().reset_index()
    big_n = inputs.big_n("SAF")
    for group in [*inputs.arms, TOTAL]:
        mine = worst if group == TOTAL else worst[worst.arm == group]
        for i, severity in enumerate(SEVERITY_ORDER):
            rows.add(s_count(int((mine.level == i).sum()), big_n[group]), param="TEAE_MAX_SEVERITY", category=severity, group=group, method="COUNT")
    return rows.rows


def sessions(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.4", "SAF")
    adsl = inputs.adsl
    treated_arms = [a.code for a in inputs.study.arms if a.microneedling]
    log = inputs.sessions
    for arm in treated_arms:
        mine = log[log.arm == arm]
        per_subject = mine.groupby("subject_id").size().reindex(adsl[adsl.saffl & (adsl.arm == arm)].subject_id, fill_value=0)
        rows.add(s_descriptive(per_subject), param="SESSIONS_PER_SUBJECT", group=arm)
        rows.add(s_descriptive(mine.needle_mm), param="NEEDLE_MM", group=arm)
        rows.add(s_descriptive(mine.pain_vas), param="PAIN_VAS", group=arm)
        bleeding = mine.pinpoint_bleeding.dropna()
        rows.add(s_count(int((bleeding == "Y").sum()), len(bleeding)), param="PINPOINT_BLEEDING", group=arm, method="COUNT")
    return rows.rows


ANALYSES = (overview, by_term, by_severity, sessions)
