"""What the Tolerability page shows, read from the ARD (section 14.3) and formatted as the pack
formats it: the TEAE overview, incidence by preferred term, subjects by maximum severity and by
strongest relationship, the microneedling sessions. Nothing here computes a statistic; it only reads
the ARD by its coordinates and lays the numbers out as frames for the screen.

``tolerability_screen(store)`` gathers them for one data version (the page caches it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trial.analysis.ard import ard_for
from trial.analysis.ard_safety import RELATIONSHIP_ORDER, SEVERITY_ORDER
from trial.reports.formats import (
    fmt_ci,
    fmt_count_pct,
    fmt_int,
    fmt_mean_sd,
    fmt_median_range,
    fmt_num,
    unbroken,
)
from trial.reports.view import ArdView, big_n

TOTAL = "TOTAL"
OVERVIEW = (("ANY", "Any TEAE"), ("RELATED", "Related TEAE"), ("SEVERE", "Severe TEAE"),
            ("SERIOUS", "Serious TEAE"), ("LEADING_TO_WITHDRAWAL", "TEAE leading to withdrawal"))
RISK_DIFFERENCE = "Risk difference, % (95 % CI)"
CI_METHOD = ("Risk difference: test arm minus control in percentage points; 95 % CI by Newcombe's hybrid score "
             "method (Wilson score intervals of each arm's proportion combined, Newcombe 1998 method 10).")


@dataclass(frozen=True)
class ArmHeading:
    code: str
    label: str
    n: int  # the arm's safety population: the denominator of its percentages

    @property
    def heading(self) -> str:
        return unbroken(f"{self.label} (N={self.n})")

    @property
    def subjects_column(self) -> str:
        """The frames' column of this arm's ``n (%)`` cells (shown under :attr:`heading`)."""
        return f"{self.code}: n (%)"

    @property
    def events_column(self) -> str:
        return f"{self.code}: events"


@dataclass(frozen=True)
class ToleranceScreen:
    """Everything the Tolerability page shows, for one data version."""

    arms: tuple[ArmHeading, ...]
    contrast: str | None  # e.g. ``MINOX_MN-MINOX``; None for a single-arm study
    contrast_label: str | None
    overview: pd.DataFrame  # 14.3.1, one row per kind of TEAE
    by_term: pd.DataFrame  # 14.3.2, one row per preferred term
    worst: pd.DataFrame  # 14.3.3, long: arm × (severity | relationship) level
    session_metrics: pd.DataFrame  # 14.3.4, one row per microneedling arm
    by_session: pd.DataFrame  # 14.3.4, long: arm × session number
    safety_subjects: int = 0


def _contrast(study) -> tuple[str | None, str | None]:
    control = study.control_arm
    test = next((a for a in study.arms if not a.control), None)
    if control is None or test is None:
        return None, None
    return f"{test.code}-{control.code}", f"{test.label} − {control.label}"


def arm_headings(ard: pd.DataFrame, study) -> tuple[ArmHeading, ...]:
    counts = big_n(ard, "SAF")
    return tuple(ArmHeading(a.code, a.label, counts.get(a.code, 0)) for a in study.arms)


def _risk_difference(view: ArdView, param: str, category: str, contrast: str | None) -> tuple[str, float | None]:
    if contrast is None:
        return "", None
    get = lambda stat: view.get(param, stat, group=contrast, method="RISK_DIFF", category=category)
    return fmt_ci(get("diff"), get("ci_lower"), get("ci_upper")), get("diff")


def _subject_cells(view: ArdView, param: str, category: str, arms) -> dict:
    cells = {}
    for arm in arms:
        get = lambda stat, g=arm.code: view.get(param, stat, group=g, method="COUNT", category=category)
        cells[arm.subjects_column] = fmt_count_pct(get("count"), get("pct"))
        cells[arm.events_column] = int(get("events") or 0)
    return cells


def overview_frame(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Table 14.3.1 for the screen: subjects n (%) and events per arm, and the risk difference."""
    view = ArdView(ard, "14.3.1")
    arms = arm_headings(ard, study)
    contrast, _ = _contrast(study)
    rows = []
    for category, label in OVERVIEW:
        row = {"Subjects with": label, **_subject_cells(view, "TEAE", category, arms)}
        if contrast:
            row[RISK_DIFFERENCE] = _risk_difference(view, "TEAE", category, contrast)[0]
        rows.append(row)
    return pd.DataFrame(rows)


ALL_TERMS = "All terms"  # the row of a system organ class as a whole
TERM = "System organ class / preferred term"
TERM_INDENT = "\u2003\u2003"  # em spaces: a preferred term sits under its class


def by_term_frame(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Table 14.3.2 for the screen, grouped as the table is: each system organ class (most
    frequent first) on a row of its own, then its preferred terms indented under it, most frequent
    first (column ``TERM``); the class and term also whole at the end (the class's own row has
    the term ``All terms``).

    ``All arms, %`` and ``Risk difference, %`` are numbers so the table sorts by them; the
    formatted cells are the pack's.
    """
    view = ArdView(ard, "14.3.2")
    arms = arm_headings(ard, study)
    contrast, _ = _contrast(study)
    frame = view.frame
    totals = frame[frame.param.isin(["TEAE_SOC", "TEAE_PT"]) & (frame.group == TOTAL) & (frame.method == "COUNT")]
    wide = totals.pivot_table(index=["param", "category"], columns="stat", values="value", aggfunc="first")
    if wide.empty:
        return pd.DataFrame(columns=[TERM, "System organ class", "Preferred term"])
    wide = wide.reset_index()
    wide["soc"] = wide.category.str.removeprefix("soc=").str.split(";pt=").str[0]
    wide["pt"] = wide.category.str.split(";pt=").str[1].fillna(ALL_TERMS)
    soc_count = wide[wide.param == "TEAE_SOC"].set_index("soc")["count"]
    wide["soc_count"] = wide.soc.map(soc_count)
    wide["is_pt"] = wide.param == "TEAE_PT"
    wide = wide.sort_values(["soc_count", "soc", "is_pt", "count", "pt"], ascending=[False, True, True, False, True])
    rows = []
    for r in wide.itertuples(index=False):
        term = r.soc if r.pt == ALL_TERMS else f"{TERM_INDENT}{r.pt}"  # a class, then its terms indented under it
        row = {TERM: term, **_subject_cells(view, r.param, r.category, arms), "All arms, %": round(float(r.pct), 1)}
        if contrast:
            text, diff = _risk_difference(view, r.param, r.category, contrast)
            row[RISK_DIFFERENCE] = text
            row["Risk difference, %"] = None if diff is None else round(float(diff), 1)
        row["System organ class"], row["Preferred term"] = r.soc, r.pt  # kept whole for sorting and searching
        rows.append(row)
    return pd.DataFrame(rows)


def worst_frame(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Table 14.3.3, long: per arm, subjects by maximum severity and by strongest relationship."""
    view = ArdView(ard, "14.3.3")
    rows = []
    for param, levels, what in (("TEAE_MAX_SEVERITY", SEVERITY_ORDER, "Maximum severity"),
                                ("TEAE_MAX_RELATIONSHIP", RELATIONSHIP_ORDER, "Strongest relationship")):
        for arm in arm_headings(ard, study):
            for level in levels:
                count = view.get(param, "count", group=arm.code, method="COUNT", category=level)
                if count is None:
                    continue
                pct = view.get(param, "pct", group=arm.code, method="COUNT", category=level)
                rows.append({"measure": what, "arm": arm.code, "arm_label": arm.label, "level": level,
                             "level_label": level.replace("_", " ").capitalize(), "count": int(count), "pct": pct,
                             "cell": fmt_count_pct(count, pct)})
    return pd.DataFrame(rows, columns=["measure", "arm", "arm_label", "level", "level_label", "count", "pct", "cell"])


def session_metrics_frame(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Table 14.3.4's summary numbers, formatted, one row per microneedling arm."""
    view = ArdView(ard, "14.3.4")
    rows = []
    for arm in study.arms:
        if not arm.microneedling:
            continue
        get = lambda param, stat, method="DESCRIPTIVE", g=arm.code: view.get(param, stat, group=g, method=method)
        if get("SESSIONS_PER_SUBJECT", "n") is None:
            continue
        rows.append({
            "arm": arm.code, "arm_label": arm.label,
            "sessions_total": fmt_int(get("NEEDLE_MM", "n")),
            "sessions_per_subject": fmt_mean_sd(get("SESSIONS_PER_SUBJECT", "mean"), get("SESSIONS_PER_SUBJECT", "sd")),
            "needle_mm": fmt_num(get("NEEDLE_MM", "median"), 2),
            "pain_mean_sd": fmt_mean_sd(get("PAIN_VAS", "mean"), get("PAIN_VAS", "sd")),
            "pain_median_range": fmt_median_range(get("PAIN_VAS", "median"), get("PAIN_VAS", "min"), get("PAIN_VAS", "max")),
            "bleeding": fmt_count_pct(get("PINPOINT_BLEEDING", "count", "COUNT"), get("PINPOINT_BLEEDING", "pct", "COUNT")),
            "bleeding_of": fmt_int(get("PINPOINT_BLEEDING", "denominator", "COUNT")),
        })
    return pd.DataFrame(rows)


BY_SESSION_STATS = ("n", "mean", "ci_lower", "ci_upper", "median", "q1", "q3", "min", "max")


def by_session_frame(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Pain VAS (descriptive) and pinpoint bleeding (n, %) by session number and microneedling arm."""
    view = ArdView(ard, "14.3.4")
    frame = view.frame
    labels = {a.code: a.label for a in study.arms}
    rows = []
    chosen = frame[(frame.param == "PAIN_VAS_BY_SESSION") & (frame.stat == "n")]
    for arm, category in zip(chosen.group, chosen.category, strict=True):
        row = {"arm": arm, "arm_label": labels.get(arm, arm), "session": int(category.removeprefix("session="))}
        row |= {stat: view.get("PAIN_VAS_BY_SESSION", stat, group=arm, category=category) for stat in BY_SESSION_STATS}
        row["bleeding_count"] = view.get("PINPOINT_BLEEDING_BY_SESSION", "count", group=arm, method="COUNT", category=category)
        row["bleeding_pct"] = view.get("PINPOINT_BLEEDING_BY_SESSION", "pct", group=arm, method="COUNT", category=category)
        row["bleeding_of"] = view.get("PINPOINT_BLEEDING_BY_SESSION", "denominator", group=arm, method="COUNT", category=category)
        rows.append(row)
    columns = ["arm", "arm_label", "session", *BY_SESSION_STATS, "bleeding_count", "bleeding_pct", "bleeding_of"]
    return pd.DataFrame(rows, columns=columns).sort_values(["arm", "session"]).reset_index(drop=True)


def tolerability_screen(store) -> ToleranceScreen:
    """The Tolerability page's tables for the store's data version (from its ARD)."""
    ard = ard_for(store)
    study = store.study
    contrast, contrast_label = _contrast(study)
    return ToleranceScreen(
        arms=arm_headings(ard, study), contrast=contrast, contrast_label=contrast_label,
        overview=overview_frame(ard, study), by_term=by_term_frame(ard, study), worst=worst_frame(ard, study),
        session_metrics=session_metrics_frame(ard, study), by_session=by_session_frame(ard, study),
        safety_subjects=big_n(ard, "SAF").get(TOTAL, 0),
    )
