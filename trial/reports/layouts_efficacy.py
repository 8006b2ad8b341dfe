"""Layouts of section 14.2: the primary endpoint, hair counts by visit, pull test, subgroups and
global assessment."""

from __future__ import annotations

from schemas.subjects import DIAGNOSIS_LABELS, SEX_LABELS
from trial.analysis.imputation import ALPHA
from trial.reports.formats import (
    fmt_ci,
    fmt_count_pct,
    fmt_int,
    fmt_mean_sd,
    fmt_median_range,
    fmt_num,
    fmt_p,
    in_order,
    visit_label,
)
from trial.reports.layouts import (
    POPULATIONS,
    arm_columns,
    count_rows,
    descriptive_rows,
    heading,
)
from trial.reports.model import Row, Table
from trial.reports.view import ArdView, big_n

MEASURES = {"chg": "change from baseline", "pchg": "% change from baseline"}
NAMES = {"HAIR_COUNT": "hair count", "DENSITY": "hair density (hairs/cm²)"}


def _in(groups, values: dict) -> tuple[str, ...]:
    return tuple(values.get(g, "") for g in groups)


def primary(ard, study) -> Table:
    e = study.endpoint
    view = ArdView(ard, "14.2.1")
    groups, columns = arm_columns(study, ard, "ITT", total=False)
    param = f"{e.parameter}_{e.measure.upper()}"
    where = {"category": e.region, "visit": e.visit}
    digits = e.decimals  # the study's reporting precision for its primary endpoint
    rows = [heading("Observed", len(groups)), *descriptive_rows(view, param, groups, digits=digits, **where)]
    observed = {g: int(view.get(param, "n", group=g, **where) or 0) for g in groups}
    notes = [estimand_note(study, big_n(ard, "ITT"), observed),
             f"Observed cases: subjects with the {e.region.lower()} region assessed at baseline and {visit_label(e.visit)}."]
    control = study.control_arm
    if control is None:
        arm = groups[0]
        get = lambda stat: view.get(e.parameter, stat, group=arm, method="PAIRED_T", **where)
        rows += [
            heading("Against baseline", 1),
            Row("Mean change (95 % CI)", (fmt_ci(get("diff"), get("ci_lower"), get("ci_upper"), digits),), 1),
            Row("Paired t test p", (fmt_p(get("p_value")),), 1),
            Row("Wilcoxon signed-rank p", (fmt_p(get("p_value_wilcoxon")),), 1),
        ]
        notes.append("Paired t test and Wilcoxon signed-rank test of the value at the visit against baseline.")
    else:
        contrast_of = {a.code: f"{a.code}-{control.code}" for a in study.arms if not a.control}
        def cell(method, stat, g):
            return view.get(param, stat, group=g, method=method, **where)

        lsmeans = {g: fmt_mean_sd(cell("ANCOVA", "lsmean", g), cell("ANCOVA", "se", g), digits) for g in groups}
        diff, welch, mw = {}, {}, {}
        for arm, contrast in contrast_of.items():
            diff[arm] = fmt_ci(cell("ANCOVA", "diff", contrast), cell("ANCOVA", "ci_lower", contrast), cell("ANCOVA", "ci_upper", contrast), digits)
            welch[arm] = fmt_ci(cell("WELCH_T", "diff", contrast), cell("WELCH_T", "ci_lower", contrast), cell("WELCH_T", "ci_upper", contrast), digits)
            mw[arm] = fmt_p(cell("MANN_WHITNEY", "p_value", contrast))
        p_ancova = {a: fmt_p(cell("ANCOVA", "p_value", c)) for a, c in contrast_of.items()}
        imputed = {g: _imputed_of(cell("MI", "n_imputed", g), cell("MI", "n", g)) for g in groups}
        mi_lsmeans = {g: fmt_mean_sd(cell("MI", "lsmean", g), cell("MI", "se", g), digits) for g in groups}
        mi_diff = {a: fmt_ci(cell("MI", "diff", c), cell("MI", "ci_lower", c), cell("MI", "ci_upper", c), digits) for a, c in contrast_of.items()}
        mi_p = {a: fmt_p(cell("MI", "p_value", c)) for a, c in contrast_of.items()}
        first = next(iter(contrast_of.values()), None)
        seed, imputations = (cell("MI", "seed", first), cell("MI", "imputations", first)) if first else (None, None)
        p_welch = {a: fmt_p(cell("WELCH_T", "p_value", c)) for a, c in contrast_of.items()}
        tips = {a: c for a, c in contrast_of.items() if cell("MI_TIPPING", "shift", c) is not None}
        shift = {a: fmt_num(cell("MI_TIPPING", "shift", c), digits) for a, c in tips.items()}
        tipped = {a: fmt_ci(cell("MI_TIPPING", "diff", c), cell("MI_TIPPING", "ci_lower", c), cell("MI_TIPPING", "ci_upper", c), digits)
                  for a, c in tips.items()}
        # the pages' ARD has no sensitivity analyses (only the pack's does): no imputation rows then
        multiple = [
            Row("Multiple imputation (missing at random)", ("",) * len(groups), 1),
            Row("Imputed, n of N", _in(groups, imputed), 2),
            Row("LS mean (SE)", _in(groups, mi_lsmeans), 2),
            Row(f"Difference vs {control.label} (95 % CI)", _in(groups, mi_diff), 2),
            Row("p-value", _in(groups, mi_p), 2),
            *([Row("Tipping point: shift of the arm's imputed values", _in(groups, shift), 2),
               Row("Difference at the tipping point (95 % CI)", _in(groups, tipped), 2)] if shift else []),
        ] if seed is not None else []
        rows += [
            heading("ANCOVA (change ~ arm + baseline)", len(groups)),
            Row("LS mean (SE)", _in(groups, lsmeans), 1),
            Row(f"Difference vs {control.label} (95 % CI)", _in(groups, diff), 1),
            Row("p-value", _in(groups, p_ancova), 1),
            heading("Sensitivity analyses", len(groups)),
            *multiple,
            Row("Welch t: difference (95 % CI)", _in(groups, welch), 1),
            Row("Welch t: p-value", _in(groups, p_welch), 1),
            Row("Mann–Whitney U: p-value", _in(groups, mw), 1),
        ]
        notes += [
            "ANCOVA: ordinary least squares of the change on arm and baseline value; LS means at the mean baseline; "
            "difference is test minus control with a 95 % CI from the t distribution.",
            "Welch's t test (unequal variances) and the two-sided Mann–Whitney U test as sensitivity analyses.",
        ]
        if seed is not None:
            notes.append(_mi_note(study, seed, imputations, estimable=cell("MI", "diff", first) is not None))
            if cell("MI", "diff", first) is not None:
                notes.append(_tipping_note(study, {a: (cell("MI_TIPPING", "shift", c), cell("MI", "p_value", c),
                                                       cell("MI", "n_imputed", a)) for a, c in contrast_of.items()}))
    title = f"Primary endpoint: {MEASURES[e.measure]} in {NAMES[e.parameter]}, {e.region.lower()} region, at {visit_label(e.visit)}"
    return Table("14.2.1", title, POPULATIONS["ITT"], "Statistic", columns, tuple(rows), tuple(notes))


def _imputed_of(imputed, n) -> str:
    return "" if n is None else f"{fmt_int(imputed)} of {fmt_int(n)}"


def _mi_note(study, seed, imputations, *, estimable: bool) -> str:
    e = study.endpoint
    if not estimable:
        return (f"Multiple imputation ({fmt_int(imputations)} imputations, seed {int(seed)}): not estimable yet "
                f"(an arm has fewer than two subjects observed at {visit_label(e.visit)}).")
    return (f"Multiple imputation: every randomized subject; missing values at {visit_label(e.visit)}, at baseline and at the earlier "
            "visits imputed under missing at random by chained equations (linear models on arm, baseline and the earlier visits, "
            f"predictive mean matching from the 20 nearest donors); {fmt_int(imputations)} imputations, seed {int(seed)}; the ANCOVA "
            "fitted to each completed data set and pooled by Rubin's rules (Barnard–Rubin degrees of freedom).")


def _tipping_note(study, found: dict) -> str:
    """How the tipping point was found, and for each test arm without one, why."""
    e = study.endpoint
    labels = {a.code: a.label for a in study.arms}
    words = [f"Tipping point (delta adjustment, missing not at random): the shift added to every imputed {visit_label(e.visit)} "
             f"value of the arm (in the endpoint's units; the imputations otherwise as above) at which the difference's p-value "
             f"reaches {fmt_num(ALPHA, 2)}: how far the arm's missing subjects would have had to fall short of observed subjects "
             "like them before the conclusion changed."]
    for arm, (shift, p_value, n_imputed) in found.items():
        if shift is not None:
            continue
        if not n_imputed:
            words.append(f"{labels[arm]}: none, no value of the arm was imputed.")
        elif p_value is not None and p_value >= ALPHA:
            words.append(f"{labels[arm]}: none, the difference is not significant under missing at random.")
    return " ".join(words)


def estimand_note(study, counts: dict, observed: dict) -> str:
    """The primary estimand in the words of ICH E9(R1), with how many values it is missing."""
    e = study.endpoint
    missing = "; ".join(f"{a.label} {fmt_int(counts.get(a.code, 0) - observed.get(a.code, 0))} of {fmt_int(counts.get(a.code, 0))}"
                        for a in study.arms if a.code in counts)
    return (f"Estimand: in all randomized subjects (ITT), the {MEASURES[e.measure]} in {NAMES[e.parameter]} of the "
            f"{e.region.lower()} region at {visit_label(e.visit)}, compared between arms as a difference in means; intercurrent "
            "events (stopping or missing treatment sessions, other hair-loss treatment) are handled by the treatment-policy "
            "strategy: values are used as collected, whatever happened before. The primary analysis uses the subjects observed "
            f"at {visit_label(e.visit)} (missing: {missing}); multiple imputation under missing at random is its sensitivity analysis.")


def by_visit(ard, study) -> Table:
    view = ArdView(ard, "14.2.2")
    groups, columns = arm_columns(study, ard, "ITT", total=False)
    rows = []
    for param in ("HAIR_COUNT", "DENSITY"):
        for region in view.values("category", param=param):
            rows.append(heading(f"{NAMES[param].capitalize()}, {region.lower()}", len(groups)))
            for visit in in_order(view.values("visit", param=param, category=region), study.visit_codes):
                def get(p, stat, g, region=region, visit=visit):
                    return view.get(p, stat, group=g, category=region, visit=visit)

                rows.append(Row(visit_label(visit), tuple(f"n={fmt_int(get(param, 'n', g))}" for g in groups), 1))
                rows.append(Row("Value, mean (SD)", tuple(fmt_mean_sd(get(param, "mean", g), get(param, "sd", g)) for g in groups), 2))
                if get(f"{param}_CHG", "n", groups[0]) is not None:
                    rows.append(Row("Change, mean (SD)", tuple(fmt_mean_sd(get(f"{param}_CHG", "mean", g), get(f"{param}_CHG", "sd", g)) for g in groups), 2))
                    rows.append(Row("% change, mean (SD)", tuple(fmt_mean_sd(get(f"{param}_PCHG", "mean", g), get(f"{param}_PCHG", "sd", g)) for g in groups), 2))
    return Table("14.2.2", "Hair count and density by visit, region and arm", POPULATIONS["ITT"], "Visit", columns, tuple(rows),
                 ("Observed cases at each visit; changes are from the subject's baseline in the same region.",))


def pull_test(ard, study) -> Table:
    view = ArdView(ard, "14.2.3")
    groups, columns = arm_columns(study, ard, "ITT", total=False)
    rows = []
    for visit in in_order(view.values("visit", param="PULL_POSITIVE", method="COUNT"), study.visit_codes):
        def get(param, stat, g, visit=visit):
            return view.get(param, stat, group=g, method="COUNT", visit=visit)

        tested = {g: get("PULL_POSITIVE", "tested", g) for g in groups}
        rows += [
            Row(visit_label(visit), tuple(f"tested n={fmt_int(tested[g])}" for g in groups)),
            Row("Positive, n (% of tested)", tuple(fmt_count_pct(get("PULL_POSITIVE", "count", g), get("PULL_POSITIVE", "pct", g)) for g in groups), 1),
            Row("Negative, n (% of tested)", tuple(fmt_count_pct(get("PULL_NEGATIVE", "count", g), get("PULL_NEGATIVE", "pct", g)) for g in groups), 1),
            Row("Not tested, n (% of N)", tuple(fmt_count_pct(get("PULL_NOT_TESTED", "count", g), get("PULL_NOT_TESTED", "pct", g)) for g in groups), 1),
        ]
    fisher = view.frame[view.frame.method == "FISHER"]
    for r in fisher[fisher.stat == "p_value"].itertuples(index=False):
        rows.append(Row(f"Fisher's exact test at {visit_label(r.visit)}, p", tuple(fmt_p(r.value) if g == r.group.split("-")[0] else "" for g in groups)))
    threshold = study.pull_test.positive_above_pct
    return Table("14.2.3", "Pull test: subjects with a positive test by visit", POPULATIONS["ITT"], "Visit", columns, tuple(rows),
                 (f"Positive: more than {fmt_num(threshold, 0)} % of the grasped hairs extracted.",
                  "Positive and negative are percentages of the subjects tested at the visit; subjects not tested are counted apart, "
                  "as a percentage of the arm's ITT count (N), and are not taken as negative.",
                  "Fisher's exact test of positive against negative among the subjects tested."))


SUBGROUP_WORDS = {"diagnosis": ("Diagnosis", DIAGNOSIS_LABELS), "sex": ("Sex", SEX_LABELS)}  # "Sex: Male", not "sex M"


def subgroups(ard, study) -> Table:
    view = ArdView(ard, "14.2.4")
    groups, columns = arm_columns(study, ard, "ITT", total=False)
    rows = []
    visit = study.primary_visit.code
    for category in view.values("category", param="DENSITY_PCHG"):
        parts = dict(p.split("=") for p in category.split(";"))
        region = parts.pop("region")
        label = "; ".join(f"{SUBGROUP_WORDS[k][0]}: {SUBGROUP_WORDS[k][1].get(v, v)}" for k, v in parts.items()) or "All subjects"
        if not parts:
            rows.append(heading(f"{region.capitalize()}", len(groups)))
        def get(stat, g, method="DESCRIPTIVE", p="DENSITY_PCHG", category=category):
            return view.get(p, stat, group=g, method=method, category=category, visit=visit)

        rows.append(Row(label, tuple(f"n={fmt_int(get('n', g))}" for g in groups), 1))
        rows.append(Row("Median (Q1, Q3)", tuple(fmt_median_range(get("median", g), get("q1", g), get("q3", g), 2) for g in groups), 2))
        rows.append(Row("Mean (SD)", tuple(fmt_mean_sd(get("mean", g), get("sd", g), 2) for g in groups), 2))
        rows.append(Row("Paired t test p", tuple(fmt_p(get("p_value", g, "PAIRED_T", "DENSITY")) for g in groups), 2))
    return Table("14.2.4", f"% change in hair density at {visit_label(visit)} by region, diagnosis and sex", POPULATIONS["ITT"], "Subgroup",
                 columns, tuple(rows), ("% change = 100 × (density at the visit − baseline density) / baseline density; "
                                        "paired t test of density at the visit against baseline.",))


def global_assessment(ard, study) -> Table:
    view = ArdView(ard, "14.2.5")
    groups, columns = arm_columns(study, ard, "ITT", total=False)
    visit = study.primary_visit.code
    rows = []
    for param in view.values("param"):
        who = param.removeprefix("GLOBAL_").capitalize()
        rows.append(heading(f"{who} global assessment", len(groups)))
        scores = [(f"{s:+d}", f"score={s:+d}") for s in range(3, -4, -1)]
        rows += count_rows(view, param, groups, scores, visit=visit)
        rows += count_rows(view, param, groups, [("Responders (+2 or +3)", "RESPONDER")], visit=visit)
        p = view.frame[(view.frame.param == param) & (view.frame.method == "FISHER") & (view.frame.stat == "p_value")]
        for r in p.itertuples(index=False):
            rows.append(Row("Fisher's exact test p", tuple(fmt_p(r.value) if g == r.group.split("-")[0] else "" for g in groups), 1))
    return Table("14.2.5", f"Global assessment at {visit_label(visit)}: scores and responders", POPULATIONS["ITT"], "Score", columns, tuple(rows),
                 ("7-point scale from −3 (greatly worse) to +3 (greatly improved). Percentages are of the arm's ITT count; "
                  "subjects not assessed count as non-responders in Fisher's test.",))


LAYOUTS = (primary, by_visit, pull_test, subgroups, global_assessment)
