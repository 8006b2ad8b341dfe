"""Layouts of section 14.1: disposition and demographics."""

from __future__ import annotations

from schemas.subjects import DIAGNOSIS_LABELS, FITZPATRICK, SEX_LABELS, grade_label, grade_order
from trial.reports.formats import code_words, fmt_int, in_order
from trial.reports.layouts import (
    POPULATIONS,
    arm_columns,
    count_rows,
    descriptive_rows,
    heading,
)
from trial.reports.model import Row, Table
from trial.reports.view import ArdView


def disposition(ard, study) -> Table:
    view = ArdView(ard, "14.1.1")
    groups, columns = arm_columns(study, ard, "ITT")

    def total_only(param):
        value = view.get(param, "count", group="TOTAL", method="COUNT")
        return tuple(fmt_int(value) if g == "TOTAL" or len(groups) == 1 else "" for g in groups)

    rows = [
        Row("Screened", total_only("SCREENED")),
        Row("Screen failures", total_only("SCREEN_FAILURE")),
        Row("Randomized", tuple(fmt_int(view.get("RANDOMIZED", "count", group=g, method="COUNT")) for g in groups)),
        *count_rows(view, "COMPLETED", groups, [("Completed", "")], indent=0),
        *count_rows(view, "DISCONTINUED", groups, [("Discontinued", "")], indent=0),
    ]
    reasons = view.values("category", param="DISCONTINUED_REASON")
    rows += count_rows(view, "DISCONTINUED_REASON", groups, [(code_words(r), r) for r in reasons])
    return Table(
        "14.1.1", "Subject disposition", POPULATIONS["ITT"], "Subjects", columns, tuple(rows),
        ("Percentages are of the subjects randomized to the arm.",),
    )


def _decoded(param: str, levels: list[str]) -> list[tuple[str, str]]:
    """(label, code) of each level of a characteristic, in the order of its code list."""
    if param == "SEX":
        return [(SEX_LABELS.get(c, c), c) for c in in_order(levels, SEX_LABELS)]
    if param == "DIAGNOSIS":
        return [(DIAGNOSIS_LABELS.get(c, c), c) for c in in_order(levels, DIAGNOSIS_LABELS)]
    if param == "SEVERITY_GRADE":
        return [(grade_label(c), c) for c in sorted(levels, key=grade_order)]
    return [(f"Type {c}", c) for c in in_order(levels, FITZPATRICK)]


def demographics(ard, study) -> Table:
    view = ArdView(ard, "14.1.2")
    groups, columns = arm_columns(study, ard, "ITT")
    width = len(groups)
    rows = [heading("Age (years)", width), *descriptive_rows(view, "AGE", groups)]
    for param, title in (("SEX", "Sex"), ("DIAGNOSIS", "Diagnosis"), ("SEVERITY_GRADE", "Severity grade"), ("FITZPATRICK", "Fitzpatrick skin type")):
        rows += [heading(title, width), *count_rows(view, param, groups, _decoded(param, view.values("category", param=param)))]
    region = study.endpoint.region
    for param, title in (("BASELINE_HAIR_COUNT", "Baseline hair count"), ("BASELINE_DENSITY", "Baseline density (hairs/cm²)")):
        rows += [heading(f"{title}, {region.lower()}", width), *descriptive_rows(view, param, groups, category=region)]
    return Table(
        "14.1.2", "Demographics and baseline characteristics", POPULATIONS["ITT"], "Characteristic", columns, tuple(rows),
        ("n (%) unless stated; percentages are of the subjects randomized to the arm. SD: standard deviation.",),
    )


LAYOUTS = (disposition, demographics)
