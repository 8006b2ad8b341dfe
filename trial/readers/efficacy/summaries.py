"""ARD tables 14.2.1 (primary endpoint), 14.2.2 (by visit) and 14.2.4 (subgroups) as the efficacy
page shows them: the choices it offers, the primary result in words, metrics and formatted tables.

Every number is read from the ARD and formatted with ``trial.reports.formats`` (the digits of the
matching pack table), so the screen and the end-of-study tables agree to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trial.readers.efficacy.wording import and_list, lower_label, p_words
from trial.reports import layouts_efficacy
from trial.reports.formats import (
    fmt_ci,
    fmt_int,
    fmt_mean_sd,
    fmt_median_range,
    fmt_num,
    fmt_p,
    unbroken,
    visit_label,
)
from trial.reports.model import Table
from trial.reports.view import ArdView

PARAMETERS = {"HAIR_COUNT": "Hair count", "DENSITY": "Density (hairs/cm²)"}
MEASURES = {"chg": "Change", "pchg": "% change"}
SEXES = {"F": "women", "M": "men"}
IN_WORDS = {"HAIR_COUNT": "hair count", "DENSITY": "hair density"}  # names inside a sentence
UNITS = {"HAIR_COUNT": "", "DENSITY": " hairs/cm²"}
BY_VISIT_DIGITS = 1  # as table 14.2.2
SUBGROUP_DIGITS = 2  # as table 14.2.4
SUBGROUP_PARAM = "DENSITY_PCHG"


@dataclass(frozen=True)
class Metric:
    """One ``st.metric``: a label, the formatted value and a short line under it."""

    label: str
    value: str
    note: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class Primary:
    """The primary analysis as the page shows it."""

    title: str  # "Change from baseline in hair count, target region, at Week 12"
    sentence: str  # the result in words
    metrics: tuple[Metric, ...]
    table: pd.DataFrame  # table 14.2.1 of the pack, one row per statistic
    has_contrast: bool  # False for a single-arm study (no control arm)
    available: bool  # False while nobody has a value at the primary visit


# ----------------------------------------------------------------------------------- choices
def parameters(ard: pd.DataFrame) -> list[str]:
    """The hair parameters with values in table 14.2.2, hair count first."""
    present = set(ArdView(ard, "14.2.2").values("param"))
    return [p for p in PARAMETERS if p in present]


def regions(ard: pd.DataFrame, study, param: str) -> list[str]:
    """The regions with values of ``param`` in table 14.2.2, in the study's order."""
    present = set(ArdView(ard, "14.2.2").values("category", param=param))
    return [r for r in study.assessments.regions if r in present]


def measure_name(param: str, measure: str) -> str:
    """``change in hair count``, ``% change in hair density``."""
    return f"{MEASURES[measure].lower()} in {IN_WORDS[param]}"


# ------------------------------------------------------------------------------- by visit
def by_visit_table(ard: pd.DataFrame, study, *, param: str, measure: str, region: str) -> pd.DataFrame:
    """n, mean (SD) and mean (95 % CI) of the change (``chg``) or % change (``pchg``) from baseline
    in ``param`` and ``region``, by visit and arm (table 14.2.2). One row per visit and arm with a
    value; the Arm column only when the study has more than one arm."""
    view = ArdView(ard, "14.2.2")
    statistic = f"{param}_{measure.upper()}"
    several = len(study.arms) > 1
    rows = []
    for visit in study.visit_codes:
        for arm in study.arms:
            def get(stat, arm=arm.code, visit=visit):
                return view.get(statistic, stat, group=arm, category=region, visit=visit)

            if get("n") is None:
                continue
            rows.append({
                "Visit": visit_label(visit), **({"Arm": unbroken(arm.label)} if several else {}), "n": fmt_int(get("n")),
                "Mean (SD)": fmt_mean_sd(get("mean"), get("sd"), BY_VISIT_DIGITS),
                "Mean (95 % CI)": fmt_ci(get("mean"), get("ci_lower"), get("ci_upper"), BY_VISIT_DIGITS),
            })
    columns = ["Visit", *(["Arm"] if several else []), "n", "Mean (SD)", "Mean (95 % CI)"]
    return pd.DataFrame(rows, columns=columns)


# -------------------------------------------------------------------------- primary endpoint
def endpoint_title(study) -> str:
    e = study.endpoint
    what = layouts_efficacy.MEASURES[e.measure]
    return f"{what[0].upper()}{what[1:]} in {layouts_efficacy.NAMES[e.parameter]}, {e.region.lower()} region, at {visit_label(e.visit)}"


def table_frame(table: Table) -> pd.DataFrame:
    """A pack table as one frame: its section headings become an ``Analysis`` column (shown on the
    first row of each section), its stub the ``Statistic`` column, one column per arm (with N)."""
    rows, section = [], ""
    for row in table.rows:
        if row.heading:
            section = row.label
            continue
        rows.append([section, row.label, *row.cells])
        section = ""
    return pd.DataFrame(rows, columns=["Analysis", *table.headings])


def primary_result(ard: pd.DataFrame, study) -> Primary:
    """The primary analysis (table 14.2.1): the means by arm and, with a control arm, the ANCOVA
    difference with its 95 % CI and p, in words, as metrics and as the pack's table; for a
    single-arm study the change within the arm and the paired test against baseline."""
    e = study.endpoint
    view = ArdView(ard, "14.2.1")
    param = f"{e.parameter}_{e.measure.upper()}"
    where = {"category": e.region, "visit": e.visit}
    table = table_frame(layouts_efficacy.primary(ard, study))
    control = study.control_arm
    title = endpoint_title(study)
    if not any(view.get(param, "n", group=a.code, **where) for a in study.arms):
        sentence = f"No subject has a value at {visit_label(e.visit)} and at baseline yet, so there is no primary analysis to show."
        return Primary(title, sentence, (), table, control is not None, False)

    def get(stat, group, method="DESCRIPTIVE", statistic=param):
        return view.get(statistic, stat, group=group, method=method, **where)

    digits, unit = e.decimals, " %" if e.measure == "pchg" else ""
    what = f"mean {measure_name(e.parameter, e.measure)} ({e.region.lower()} region)"
    if control is None:
        return _single_arm(study, get, title, table, digits, unit)
    tests = [a for a in study.arms if not a.control]
    means = [f"{fmt_num(get('mean', a.code), digits)}{unit} with {lower_label(a.label)}" for a in [control, *tests]]  # control first, as the table
    sentences = [f"At {visit_label(e.visit)} the {what} was {and_list(means)}."]
    metrics = [Metric(a.label, f"{fmt_num(get('mean', a.code), digits)}{unit}",
                      f"n={fmt_int(get('n', a.code))}, SD {fmt_num(get('sd', a.code), digits + 1)}",
                      f"Mean {MEASURES[e.measure].lower()} from baseline at {visit_label(e.visit)}")
               for a in [control, *tests]]  # the arms in the order of the table's columns: control first
    for test in tests:
        contrast = f"{test.code}-{control.code}"
        diff, low, high, p = (get(s, contrast, "ANCOVA") for s in ("diff", "ci_lower", "ci_upper", "p_value"))
        who = "the difference" if len(tests) == 1 else f"the difference {lower_label(test.label)} − {lower_label(control.label)}"
        sentences.append(f"Adjusted for baseline (ANCOVA), {who} was {fmt_num(diff, digits)} "
                         f"(95 % CI {fmt_num(low, digits)} to {fmt_num(high, digits)}), {p_words(p)}.")
        named = "" if len(tests) == 1 else f", {test.label}"
        metrics += [
            Metric(f"Difference (ANCOVA){named}", fmt_num(diff, digits), f"95 % CI {fmt_num(low, digits)} to {fmt_num(high, digits)}",
                   f"{test.label} − {control.label}, adjusted for the baseline value"),
            Metric(f"p-value (ANCOVA){named}", fmt_p(p), "two-sided",
                   f"Sensitivity analyses: Welch's t test p {fmt_p(get('p_value', contrast, 'WELCH_T'))}, "
                   f"Mann–Whitney U test p {fmt_p(get('p_value', contrast, 'MANN_WHITNEY'))}"),
        ]
    return Primary(title, " ".join(sentences), tuple(metrics), table, True, True)


def _single_arm(study, get, title: str, table: pd.DataFrame, digits: int, unit: str) -> Primary:
    e = study.endpoint
    [arm] = study.arms
    word = MEASURES[e.measure].lower()
    diff, low, high, p = (get(s, arm.code, "PAIRED_T", e.parameter) for s in ("diff", "ci_lower", "ci_upper", "p_value"))
    sentence = (
        f"At {visit_label(e.visit)} the median {measure_name(e.parameter, e.measure)} ({e.region.lower()} region) was "
        f"{fmt_num(get('median', arm.code), digits)}{unit} with {lower_label(arm.label)} (mean {fmt_num(get('mean', arm.code), digits)}{unit}, "
        f"95 % CI {fmt_num(get('ci_lower', arm.code), digits)} to {fmt_num(get('ci_upper', arm.code), digits)}; n={fmt_int(get('n', arm.code))}). "
        f"Against baseline, {IN_WORDS[e.parameter]} changed by {fmt_num(diff, digits)}{UNITS[e.parameter]} on average "
        f"(95 % CI {fmt_num(low, digits)} to {fmt_num(high, digits)}), paired t test {p_words(p)}."
    )
    metrics = (
        Metric("Subjects", fmt_int(get("n", arm.code)), f"with a value at {visit_label(e.visit)}"),
        Metric(f"Median {word}", f"{fmt_num(get('median', arm.code), digits)}{unit}",
               f"Q1–Q3 {fmt_num(get('q1', arm.code), digits)} to {fmt_num(get('q3', arm.code), digits)}"),
        Metric(f"Mean {word}", f"{fmt_num(get('mean', arm.code), digits)}{unit}",
               f"95 % CI {fmt_num(get('ci_lower', arm.code), digits)} to {fmt_num(get('ci_upper', arm.code), digits)}"),
        Metric("Paired t test p", fmt_p(p), f"Wilcoxon {fmt_p(get('p_value_wilcoxon', arm.code, 'PAIRED_T', e.parameter))}",
               f"{IN_WORDS[e.parameter].capitalize()} at {visit_label(e.visit)} against baseline"),
    )
    return Primary(title, sentence, metrics, table, False, True)


# -------------------------------------------------------------------------------- subgroups
def subgroup_label(parts: dict[str, str]) -> str:
    """``{}`` → All subjects; ``{diagnosis: TE}`` → TE; ``{sex: F}`` → Women; both → AGA women."""
    words = [parts["diagnosis"]] if "diagnosis" in parts else []
    if "sex" in parts:
        words.append(SEXES.get(parts["sex"], parts["sex"]))
    label = " ".join(words) or "all subjects"
    return label[0].upper() + label[1:]


def subgroup_rows(ard: pd.DataFrame, study) -> pd.DataFrame:
    """% change in density at the primary visit by region, diagnosis and sex (table 14.2.4), one
    row per subgroup and arm with the ARD's numbers: n, mean, sd, ci_lower, ci_upper, median, q1,
    q3 and the paired t test p of density against baseline. Regions in the study's order."""
    view = ArdView(ard, "14.2.4")
    visit = study.primary_visit.code
    rows = []
    for category in view.values("category", param=SUBGROUP_PARAM):
        parts = dict(part.split("=", 1) for part in category.split(";"))
        region = parts.pop("region")
        for arm in study.arms:
            def get(stat, method="DESCRIPTIVE", param=SUBGROUP_PARAM, arm=arm.code, category=category):
                return view.get(param, stat, group=arm, method=method, category=category, visit=visit)

            if not get("n"):
                continue
            rows.append({
                "category": category, "region": region, "by": "+".join(parts) or "all", "subgroup": subgroup_label(parts),
                "arm": arm.code, "arm_label": arm.label,
                **{stat: get(stat) for stat in ("n", "mean", "sd", "ci_lower", "ci_upper", "median", "q1", "q3")},
                "p_value": get("p_value", "PAIRED_T", "DENSITY"),
            })
    columns = ["category", "region", "by", "subgroup", "arm", "arm_label", "n", "mean", "sd", "ci_lower", "ci_upper",
               "median", "q1", "q3", "p_value"]
    frame = pd.DataFrame(rows, columns=columns)
    order = {r: i for i, r in enumerate(study.assessments.regions)}
    return frame.sort_values("region", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def without_repeats(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The subgroups that differ from all subjects of their region, and the labels of those left
    out: a subgroup with the same n in every arm as the whole region holds the same subjects
    (every subject of a one-diagnosis, one-sex study, say) and would only repeat its numbers."""
    whole = {region: dict(zip(group.arm, group.n, strict=True)) for region, group in rows[rows.by == "all"].groupby("region")}
    repeats = [category for category, group in rows[rows.by != "all"].groupby("category", sort=False)
               if dict(zip(group.arm, group.n, strict=True)) == whole.get(group.region.iloc[0])]
    dropped = list(dict.fromkeys(rows[rows.category.isin(repeats)].subgroup))
    return rows[~rows.category.isin(repeats)].reset_index(drop=True), dropped


def subgroup_table(rows: pd.DataFrame, study) -> pd.DataFrame:
    """The subgroup rows formatted as table 14.2.4 formats them (two decimals); the Region column
    only when there is more than one region, the Arm column only with more than one arm."""
    d = SUBGROUP_DIGITS
    table = pd.DataFrame({
        **({"Region": rows.region.str.capitalize()} if rows.region.nunique() > 1 else {}),
        "Subgroup": rows.subgroup,
        **({"Arm": rows.arm_label.map(unbroken)} if len(study.arms) > 1 else {}),
        "n": [fmt_int(v) for v in rows.n],
        "Median (Q1, Q3)": [fmt_median_range(m, lo, hi, d) for m, lo, hi in zip(rows["median"], rows.q1, rows.q3, strict=True)],
        "Mean (SD)": [fmt_mean_sd(m, s, d) for m, s in zip(rows["mean"], rows.sd, strict=True)],
        "Paired t p": [fmt_p(p) for p in rows.p_value],
    })
    return table.reset_index(drop=True)
