"""ARD tables 14.2.3 (pull test) and 14.2.5 (global assessment) as the assessments page shows
them. Percentages are the ARD's: of the arm's ITT count, so subjects not tested or not assessed
count in the denominator. Formatted with ``trial.reports.formats`` as the pack formats them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trial.readers.efficacy.wording import and_list, lower_label, p_words
from trial.reports.formats import fmt_count_pct, fmt_int, fmt_num, unbroken, visit_label
from trial.reports.view import ArdView

SCORES = tuple(range(-3, 4))
RESPONDER = "RESPONDER"
ASSESSORS = {"GLOBAL_INVESTIGATOR": "Investigator", "GLOBAL_PATIENT": "Patient"}


@dataclass(frozen=True)
class Comparison:
    """A Fisher's exact test of test against control."""

    test: str  # arm labels
    control: str
    visit: str  # visit code
    p_value: float


# -------------------------------------------------------------------------------- pull test
def pull_test_rows(ard: pd.DataFrame, study) -> pd.DataFrame:
    """Pull tests by visit and arm: visit, arm, arm_label, count and pct (positive, of the
    subjects tested), denominator (= tested), not_tested, not_tested_pct (of the arm's ITT count)
    and itt; visits in protocol order. Empty without pull tests."""
    view = ArdView(ard, "14.2.3")
    rows = []
    for visit in study.visit_codes:
        for arm in study.arms:
            def get(stat, param="PULL_POSITIVE", arm=arm.code, visit=visit):
                return view.get(param, stat, group=arm, method="COUNT", visit=visit)

            if get("count") is None:
                continue
            rows.append({"visit": visit, "visit_label": visit_label(visit), "arm": arm.code, "arm_label": arm.label,
                         **{stat: get(stat) for stat in ("count", "pct", "denominator", "tested")},
                         "not_tested": get("count", "PULL_NOT_TESTED"), "not_tested_pct": get("pct", "PULL_NOT_TESTED"),
                         "itt": get("denominator", "PULL_NOT_TESTED")})
    return pd.DataFrame(rows, columns=["visit", "visit_label", "arm", "arm_label", "count", "pct", "denominator", "tested",
                                       "not_tested", "not_tested_pct", "itt"])


def pull_test_table(rows: pd.DataFrame, study) -> pd.DataFrame:
    """Visit · (Arm) · Tested · Positive, n (% of tested) · Not tested, n (% of N), as table
    14.2.3 formats them."""
    several = len(study.arms) > 1
    return pd.DataFrame({
        "Visit": rows.visit_label,
        **({"Arm": rows.arm_label.map(unbroken)} if several else {}),
        "Tested": [fmt_int(t) for t in rows.tested],
        "Positive, n (% of tested)": [fmt_count_pct(c, p) for c, p in zip(rows["count"], rows.pct, strict=True)],
        "Not tested, n (% of N)": [fmt_count_pct(c, p) for c, p in zip(rows.not_tested, rows.not_tested_pct, strict=True)],
        "N (ITT)": [fmt_int(n) for n in rows.itt],
    }).reset_index(drop=True)


def pull_test_comparisons(ard: pd.DataFrame, study) -> list[Comparison]:
    """Fisher's exact tests of the positive share at the primary visit (none for a single arm)."""
    frame = ArdView(ard, "14.2.3").frame
    return _comparisons(frame[(frame.method == "FISHER") & (frame.stat == "p_value")], study)


# ------------------------------------------------------------------------- global assessment
def assessors(ard: pd.DataFrame) -> list[str]:
    """The global-assessment parameters in table 14.2.5 (investigator first)."""
    present = set(ArdView(ard, "14.2.5").values("param"))
    return [p for p in ASSESSORS if p in present] + sorted(present - ASSESSORS.keys())


def assessor_label(param: str) -> str:
    return ASSESSORS.get(param, param.removeprefix("GLOBAL_").capitalize())


def score_rows(ard: pd.DataFrame, study, param: str) -> pd.DataFrame:
    """The distribution of scores −3 … +3 at the primary visit by arm: arm, arm_label, score,
    count, pct (of the arm's ITT count) and denominator."""
    view = ArdView(ard, "14.2.5")
    visit = study.primary_visit.code
    rows = []
    for arm in study.arms:
        for score in SCORES:
            def get(stat, arm=arm.code, score=score):
                return view.get(param, stat, group=arm, method="COUNT", category=f"score={score:+d}", visit=visit)

            if get("count") is None:
                continue
            rows.append({"arm": arm.code, "arm_label": arm.label, "score": score,
                         **{stat: get(stat) for stat in ("count", "pct", "denominator")}})
    return pd.DataFrame(rows, columns=["arm", "arm_label", "score", "count", "pct", "denominator"])


def responder_rows(ard: pd.DataFrame, study, param: str) -> pd.DataFrame:
    """Responders (+2 or +3) at the primary visit by arm: arm, arm_label, count, pct, denominator, assessed."""
    view = ArdView(ard, "14.2.5")
    visit = study.primary_visit.code
    rows = []
    for arm in study.arms:
        def get(stat, arm=arm.code):
            return view.get(param, stat, group=arm, method="COUNT", category=RESPONDER, visit=visit)

        if get("count") is not None:
            rows.append({"arm": arm.code, "arm_label": arm.label, **{s: get(s) for s in ("count", "pct", "denominator", "assessed")}})
    return pd.DataFrame(rows, columns=["arm", "arm_label", "count", "pct", "denominator", "assessed"])


def responder_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Arm · Responders, n (%) · Assessed · ITT subjects, as table 14.2.5 formats them."""
    return pd.DataFrame({
        "Arm": rows.arm_label.map(unbroken),
        "Responders (+2 or +3), n (%)": [fmt_count_pct(c, p) for c, p in zip(rows["count"], rows.pct, strict=True)],
        "Assessed": [fmt_int(a) for a in rows.assessed],
        "ITT subjects": [fmt_int(n) for n in rows.denominator],
    }).reset_index(drop=True)


def responder_comparisons(ard: pd.DataFrame, study, param: str) -> list[Comparison]:
    frame = ArdView(ard, "14.2.5").frame
    return _comparisons(frame[(frame.param == param) & (frame.method == "FISHER") & (frame.stat == "p_value")], study)


def responder_sentence(rows: pd.DataFrame, comparisons: list[Comparison], study, param: str) -> str:
    """``Responders (+2 or +3) in the investigator's assessment at Week 12: 40 of 50 (80.0 %) with …
    and 0 of 50 with …; Fisher's exact test p < 0.001.`` (the control arm last). Empty when the
    ARD has no responder counts."""
    if rows.empty:
        return ""
    control = study.control_arm.code if study.control_arm else None
    rows = rows.sort_values("arm", key=lambda arms: arms != control, kind="stable")
    visit = study.primary_visit.code
    parts = [f"{fmt_int(r.count)} of {fmt_int(r.denominator)}{f' ({fmt_num(r.pct, 1)} %)' if r.count else ''} with {lower_label(r.arm_label)}"
             for r in rows.itertuples(index=False)]
    tests = [f"Fisher's exact test{'' if len(comparisons) == 1 else f' ({c.test})'} {p_words(c.p_value)}" for c in comparisons]
    who = assessor_label(param).lower()
    return f"Responders (+2 or +3) in the {who}'s assessment at {visit_label(visit)}: {and_list(parts)}" + "".join(f"; {t}" for t in tests) + "."


def _comparisons(rows: pd.DataFrame, study) -> list[Comparison]:
    labels = {a.code: a.label for a in study.arms}
    out = []
    for r in rows.itertuples(index=False):
        test, control = r.group.split("-", 1)
        out.append(Comparison(labels.get(test, test), labels.get(control, control), r.visit, r.value))
    return out
