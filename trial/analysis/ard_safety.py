"""ARD for section 14.3: treatment-emergent adverse events (overview 14.3.1, by SOC and PT 14.3.2,
by maximum severity and by strongest relationship 14.3.3) and microneedling sessions (14.3.4,
overall and by session number).

Safety population (SAF); a subject counts once per row however many events it had; percentages
are of the arm's SAF count; risk differences are test − control with Newcombe's hybrid score CI.
"""

from __future__ import annotations

import pandas as pd

from trial.analysis.ard_inputs import Inputs, Rows, TOTAL
from trial.analysis.stats import s_count, s_descriptive, s_risk_difference

SEVERITY_ORDER = ["MILD", "MODERATE", "SEVERE"]
# Weakest to strongest attribution to the study treatment (the adverse-events file's codes).
RELATIONSHIP_ORDER = ["NOT_RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "DEFINITE"]


TEAE_COLUMNS = ["subject_id", "arm", "soc", "pt", "severity", "relationship", "relfl", "serfl", "withdrfl"]


def _teae(inputs: Inputs) -> pd.DataFrame:
    """The treatment-emergent events of the safety population, with the columns the tables read
    (the filters below copy every column they keep)."""
    adae = inputs.adae
    return adae.loc[adae.trtemfl & adae.saffl, TEAE_COLUMNS]


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


def _by_worst(rows: Rows, inputs: Inputs, levels: pd.Series, order: list[str], param: str) -> None:
    """Subjects by the highest of ``levels`` (an ordinal code per TEAE, aligned with the TEAE rows)
    among their TEAEs: one ``n (%)`` row per level and group, a subject counted once."""
    teae = _teae(inputs)
    rank = levels.map({level: i for i, level in enumerate(order)})
    worst = teae.assign(rank=rank).groupby(["arm", "subject_id"])["rank"].max().reset_index()
    big_n = inputs.big_n("SAF")
    for group in [*inputs.arms, TOTAL]:
        mine = worst if group == TOTAL else worst[worst.arm == group]
        for i, level in enumerate(order):
            rows.add(s_count(int((mine["rank"] == i).sum()), big_n[group]), param=param, category=level, group=group, method="COUNT")


def by_severity(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.3", "SAF")
    _by_worst(rows, inputs, _teae(inputs).severity, SEVERITY_ORDER, "TEAE_MAX_SEVERITY")
    return rows.rows


def by_relationship(inputs: Inputs) -> list[dict]:
    """Subjects by the strongest relationship to study treatment among their TEAEs (table 14.3.3)."""
    rows = Rows("14.3.3", "SAF")
    _by_worst(rows, inputs, _teae(inputs).relationship, RELATIONSHIP_ORDER, "TEAE_MAX_RELATIONSHIP")
    return rows.rows


def session_numbers(log: pd.DataFrame) -> pd.Series:
    """Each session's number for its subject (1 for the first session by date), aligned with ``log``."""
    return log.groupby("subject_id").session_date.rank(method="first").astype(int)


def sessions(inputs: Inputs) -> list[dict]:
    rows = Rows("14.3.4", "SAF")
    adsl = inputs.adsl
    treated_arms = [a.code for a in inputs.study.arms if a.microneedling]
    log = inputs.sessions[["subject_id", "arm", "session_date", "needle_mm", "pain_vas", "pinpoint_bleeding"]]
    for arm in treated_arms:
        mine = log[log.arm == arm]
        per_subject = mine.groupby("subject_id").size().reindex(adsl[adsl.saffl & (adsl.arm == arm)].subject_id, fill_value=0)
        rows.add(s_descriptive(per_subject), param="SESSIONS_PER_SUBJECT", group=arm)
        rows.add(s_descriptive(mine.needle_mm), param="NEEDLE_MM", group=arm)
        rows.add(s_descriptive(mine.pain_vas), param="PAIN_VAS", group=arm)
        bleeding = mine.pinpoint_bleeding.dropna()
        rows.add(s_count(int((bleeding == "Y").sum()), len(bleeding)), param="PINPOINT_BLEEDING", group=arm, method="COUNT")
        _by_session(rows, mine, arm)
    return rows.rows


def _by_session(rows: Rows, mine: pd.DataFrame, arm: str) -> None:
    """Pain (descriptive, with quartiles for a box plot) and pinpoint bleeding (n, % of the
    sessions with it recorded) for each session number: does tolerance change as sessions go on?"""
    numbered = mine.assign(session=session_numbers(mine)) if len(mine) else mine.assign(session=pd.Series(dtype=int))
    for number, at in numbered.groupby("session", sort=True):
        category = f"session={number}"
        rows.add(s_descriptive(at.pain_vas), param="PAIN_VAS_BY_SESSION", category=category, group=arm)
        bleeding = at.pinpoint_bleeding.dropna()
        rows.add(s_count(int((bleeding == "Y").sum()), len(bleeding)), param="PINPOINT_BLEEDING_BY_SESSION", category=category,
                 group=arm, method="COUNT")


ANALYSES = (overview, by_term, by_severity, by_relationship, sessions)
