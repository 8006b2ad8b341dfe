"""Layouts of section 14.3: treatment-emergent adverse events and microneedling sessions."""

from __future__ import annotations

from trial.reports.formats import fmt_ci, fmt_count_pct, fmt_int
from trial.reports.layouts import (
    POPULATIONS,
    TOTAL,
    arm_columns,
    count_rows,
    descriptive_rows,
    heading,
)
from trial.reports.model import Column, Row, Table
from trial.reports.view import ArdView

OVERVIEW = (("ANY", "Any TEAE"), ("RELATED", "Related TEAE"), ("SEVERE", "Severe TEAE"),
            ("SERIOUS", "Serious TEAE"), ("LEADING_TO_WITHDRAWAL", "TEAE leading to withdrawal"))
FOOT = "TEAE: onset on or after randomization. A subject counts once per row; [E]: number of events."


def _subjects_events(view, param, category, g):
    count = view.get(param, "count", group=g, method="COUNT", category=category)
    pct = view.get(param, "pct", group=g, method="COUNT", category=category)
    events = view.get(param, "events", group=g, method="COUNT", category=category)
    return f"{fmt_count_pct(count, pct)} [{fmt_int(events)}]"


def _risk_difference(view, param, category, study) -> str:
    control = study.control_arm
    test = next((a.code for a in study.arms if not a.control), None)
    if control is None or test is None:
        return ""
    contrast = f"{test}-{control.code}"
    get = lambda stat: view.get(param, stat, group=contrast, method="RISK_DIFF", category=category)
    return fmt_ci(get("diff"), get("ci_lower"), get("ci_upper"))


def _with_risk_difference(study, columns):
    if study.control_arm is None:
        return columns, False
    return (*columns, Column("Risk difference, % (95 % CI)")), True


def overview(ard, study) -> Table:
    view = ArdView(ard, "14.3.1")
    groups, columns = arm_columns(study, ard, "SAF")
    columns, with_rd = _with_risk_difference(study, columns)
    rows = [
        Row(label, (*(_subjects_events(view, "TEAE", cat, g) for g in groups), *([_risk_difference(view, "TEAE", cat, study)] if with_rd else [])))
        for cat, label in OVERVIEW
    ]
    return Table("14.3.1", "Overview of treatment-emergent adverse events", POPULATIONS["SAF"], "Subjects with", columns, tuple(rows),
                 (FOOT, "Risk difference: test minus control, 95 % CI by Newcombe's hybrid score method."))


def by_term(ard, study) -> Table:
    view = ArdView(ard, "14.3.2")
    groups, columns = arm_columns(study, ard, "SAF")
    columns, with_rd = _with_risk_difference(study, columns)
    frame = view.frame[(view.frame.group == TOTAL if TOTAL in groups else view.frame.group == groups[0]) & (view.frame.stat == "count")]
    socs = frame[frame.param == "TEAE_SOC"].sort_values(["value", "category"], ascending=[False, True]).category
    overall = ArdView(ard, "14.3.1")  # the same statistic as 14.3.1's first row: one number, shown twice
    rows = [Row("Subjects with any TEAE", (*(_subjects_events(overall, "TEAE", "ANY", g) for g in groups),
                                           *([_risk_difference(overall, "TEAE", "ANY", study)] if with_rd else [])))]
    for soc in socs:
        rows.append(Row(soc.removeprefix("soc="), (*(_subjects_events(view, "TEAE_SOC", soc, g) for g in groups),
                                                   *([_risk_difference(view, "TEAE_SOC", soc, study)] if with_rd else []))))
        pts = frame[(frame.param == "TEAE_PT") & frame.category.str.startswith(soc + ";")]
        for pt in pts.sort_values(["value", "category"], ascending=[False, True]).category:
            rows.append(Row(pt.split(";pt=")[1], (*(_subjects_events(view, "TEAE_PT", pt, g) for g in groups),
                                                   *([_risk_difference(view, "TEAE_PT", pt, study)] if with_rd else [])), 1))
    return Table("14.3.2", "Treatment-emergent adverse events by system organ class and preferred term", POPULATIONS["SAF"],
                 "System organ class / Preferred term", columns, tuple(rows),
                 (FOOT, "Sorted by the number of subjects (all arms), most frequent first.",
                  "Risk difference: test minus control, 95 % CI by Newcombe's hybrid score method.", coding_note(study)))


def coding_note(study) -> str:
    """The footnote naming the coding dictionary and its version, from the study file."""
    named = study.study.ae_dictionary
    return f"Adverse events coded with {named}." if named else \
        "Adverse events coded with the study's own coding list (the study file names no dictionary: set [study] ae_dictionary)."


def by_severity(ard, study) -> Table:
    view = ArdView(ard, "14.3.3")
    groups, columns = arm_columns(study, ard, "SAF")
    rows = count_rows(view, "TEAE_MAX_SEVERITY", groups, [(s.capitalize(), s) for s in ("MILD", "MODERATE", "SEVERE")], indent=0)
    return Table("14.3.3", "Treatment-emergent adverse events by maximum severity", POPULATIONS["SAF"], "Maximum severity",
                 columns, tuple(rows), ("Each subject counts once, at the most severe of its TEAEs.",))


def sessions(ard, study) -> Table:
    view = ArdView(ard, "14.3.4")
    treated = [a.code for a in study.arms if a.microneedling]
    _, all_columns = arm_columns(study, ard, "SAF", total=False)
    columns = tuple(c for c, a in zip(all_columns, study.arms, strict=True) if a.microneedling)
    rows = []
    for param, title in (("SESSIONS_PER_SUBJECT", "Sessions per subject"), ("NEEDLE_MM", "Needle length (mm)"), ("PAIN_VAS", "Pain during the session (VAS 0–10)")):
        rows += [heading(title, len(treated)), *descriptive_rows(view, param, treated, digits=1 if param != "NEEDLE_MM" else 2)]
    rows += [heading("Sessions with pinpoint bleeding", len(treated)),
             *count_rows(view, "PINPOINT_BLEEDING", treated, [("n (% of sessions)", "")])]
    plan = study.procedures
    notes = (f"Planned: {plan.sessions} sessions every {plan.interval_days} days, {plan.device.lower()}, {plan.needle_mm} mm."
             if plan else "",)
    return Table("14.3.4", "Microneedling sessions: exposure, pain and bleeding", POPULATIONS["SAF"], "Statistic", columns, tuple(rows), notes)


LAYOUTS = (overview, by_term, by_severity, sessions)
