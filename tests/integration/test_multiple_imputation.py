"""The multiple-imputation sensitivity analysis of the primary endpoint (table 14.2.1).

The imputation data are rebuilt here with plain SQL on the study tables and imputed by statsmodels'
own ``MICE`` with the study's seed; the ARD must give the same pooled difference and standard
error to 1e-6, and the degrees of freedom, interval and p-value of Rubin's rules recomputed here
from statsmodels' per-imputation fits. Then missingness is made informative (the test arm's
poorest early responders lose their week-12 value): observed cases overstate the effect and the
imputation, which sees the earlier visits, moves the estimate back toward the null. The tipping
point is checked the same way: statsmodels' own completed data sets, the test arm's imputed values
shifted by the ARD's shift and refitted one by one, pool to p = 0.05.
"""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import ard_value, scenario_store
from scipy import stats
from statsmodels.imputation.mice import MICE, MICEData
from statsmodels.regression.linear_model import OLS

from trial.analysis.ard import compute_ard
from trial.analysis.ard_efficacy import MI_BURN_IN, MI_SKIP, imputed, primary, sensitivity
from trial.analysis.ard_inputs import load_inputs
from trial.reports import layouts_efficacy
from trial.reports.formats import fmt_ci, fmt_num

SCENARIOS = [("dhurat2013", 1, None), ("kumar2018", 2, None), ("scale", 3, 300)]
CONTRAST = "MINOX_MN-MINOX"
SENSITIVITY_METHODS = ("MI", "MI_TIPPING")  # the pack's alone


@pytest.fixture(scope="module", params=SCENARIOS, ids=[s[0] for s in SCENARIOS])
def study(request, tmp_path_factory):
    scenario, seed, subjects = request.param
    store = scenario_store(tmp_path_factory.mktemp(scenario), scenario, seed=seed, subjects=subjects)
    yield store, compute_ard(store)
    store.close()


def frame_by_sql(store) -> pd.DataFrame:
    """Every randomised subject by subject id: y (week-12 change in the target count), base, the
    change at each earlier visit with two or more values, and arm1 (1 for the test arm)."""
    study = store.study
    visits = study.visit_codes
    earlier = visits[visits.index("BASELINE") + 1:visits.index("WEEK_12")]
    columns = ", ".join(f"(SELECT hair_count FROM hair_counts WHERE subject_id = r.subject_id AND region = 'TARGET' AND visit = '{v}') AS \"{v}\""
                        for v in ["BASELINE", *earlier, "WEEK_12"])
    raw = store.query(f"SELECT r.subject_id, r.arm, {columns} FROM randomization AS r ORDER BY r.subject_id")
    frame = pd.DataFrame({"y": raw.WEEK_12 - raw.BASELINE, "base": raw.BASELINE.astype(float)})
    for visit in earlier:
        change = raw[visit] - raw.BASELINE
        if change.notna().sum() >= 2:
            frame[f"v{len(frame.columns) - 1}"] = change
    frame["arm1"] = (raw.arm == "MINOX_MN").astype(float)
    return frame.astype(float)


def barnard_rubin(q, u, complete_df):
    m = len(q)
    b, w = np.var(q, ddof=1), np.mean(u)
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    old = (m - 1) / lam**2
    observed = (complete_df + 1) / (complete_df + 3) * complete_df * (1 - lam)
    return np.mean(q), math.sqrt(t), old * observed / (old + observed)


def test_the_imputation_equals_statsmodels_mice_with_the_same_seed(study):
    store, ard = study
    e = store.study.endpoint
    frame = frame_by_sql(store)
    mice = MICE("y ~ arm1 + base", OLS, MICEData(frame, rng=np.random.default_rng(e.mi_seed)), n_skip=MI_SKIP)
    pooled = mice.fit(n_burnin=MI_BURN_IN, n_imputations=e.mi_imputations)
    where = {"table_id": "14.2.1", "group": CONTRAST, "method": "MI"}
    term = pooled.exog_names.index("arm1")
    assert math.isclose(ard_value(ard, stat="diff", **where), pooled.params[term], rel_tol=1e-6)
    assert math.isclose(ard_value(ard, stat="se", **where), pooled.bse[term], rel_tol=1e-6)
    q = [r.params["arm1"] for r in mice.results_list]
    u = [r.bse["arm1"] ** 2 for r in mice.results_list]
    estimate, se, df = barnard_rubin(q, u, mice.results_list[0].df_resid)
    assert math.isclose(ard_value(ard, stat="df", **where), df, rel_tol=1e-6)
    half = stats.t.ppf(0.975, df) * se
    assert math.isclose(ard_value(ard, stat="ci_lower", **where), estimate - half, rel_tol=1e-6)
    assert math.isclose(ard_value(ard, stat="ci_upper", **where), estimate + half, rel_tol=1e-6)
    assert math.isclose(ard_value(ard, stat="p_value", **where), 2 * stats.t.sf(abs(estimate) / se, df), rel_tol=1e-6, abs_tol=1e-300)
    assert ard_value(ard, stat="seed", **where) == e.mi_seed
    assert ard_value(ard, stat="imputations", **where) == e.mi_imputations
    for arm in ("MINOX", "MINOX_MN"):
        mine = frame[frame.arm1 == (arm == "MINOX_MN")]
        assert ard_value(ard, table_id="14.2.1", group=arm, method="MI", stat="n") == len(mine)
        assert ard_value(ard, table_id="14.2.1", group=arm, method="MI", stat="n_imputed") == mine.y.isna().sum()


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(study):
    store, ard = study
    inputs = load_inputs(store)
    again = pd.DataFrame(imputed(inputs).rows)
    mi = ard[ard.method.isin(SENSITIVITY_METHODS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(again[mi.columns], mi, check_exact=True)
    if mi[(mi.stat == "n_imputed")].value.sum() == 0:
        return  # nothing missing: every seed imputes nothing
    inputs.study = inputs.study.model_copy(update={"endpoint": inputs.study.endpoint.model_copy(update={"mi_seed": 7})})
    other = pd.DataFrame(imputed(inputs).rows)
    diff = lambda rows: rows[(rows.stat == "diff")].value.iloc[0]
    assert diff(other) != diff(mi)


def _diff(rows, method):
    chosen = [r for r in rows if r["method"] == method and r["group"] == CONTRAST and r["stat"] == "diff"]
    return chosen[0]["value"]


def _scale_inputs(folder, subjects: int):
    store = scenario_store(folder, "scale", seed=5, subjects=subjects)
    try:
        return load_inputs(store)
    finally:
        store.close()


def test_informative_missingness_moves_the_imputed_estimate_toward_the_null(tmp_path):
    inputs = _scale_inputs(tmp_path, 400)
    full = _diff(primary(inputs), "ANCOVA")  # the ANCOVA on every subject's value
    assert full > 0  # the test arm is better
    adhc = inputs.adhc
    target = (adhc.param == "HAIR_COUNT") & (adhc.region == "TARGET")
    early = adhc[target & (adhc.avisit == "WEEK_8") & (adhc.arm == "MINOX_MN")]
    poorest = early[early.chg <= early.chg.quantile(0.4)].subject_id  # they stop for lack of effect
    inputs.adhc = adhc[~(target & (adhc.avisit.isin(["WEEK_12"])) & adhc.subject_id.isin(poorest))].reset_index(drop=True)
    rows = primary(inputs) + sensitivity(inputs)
    observed, multiple = _diff(rows, "ANCOVA"), _diff(rows, "MI")
    assert observed > full  # observed cases keep only the good responders
    assert multiple < observed  # toward the null
    assert abs(multiple - full) < abs(observed - full)


def test_table_14_2_1_shows_the_imputed_analysis_its_seed_and_the_estimand(study):
    store, ard = study
    table = layouts_efficacy.primary(ard, store.study)
    labels = [r.label for r in table.rows]
    at = labels.index("Multiple imputation (missing at random)")
    control = store.study.control_arm.label
    assert labels[at + 1:at + 5] == ["Imputed, n of N", "LS mean (SE)", f"Difference vs {control} (95 % CI)", "p-value"]
    where = {"table_id": "14.2.1", "method": "MI"}
    imputed = table.rows[at + 1].cells
    for arm, cell in zip(("MINOX", "MINOX_MN"), imputed, strict=True):
        assert cell == f"{ard_value(ard, group=arm, stat='n_imputed', **where):.0f} of {ard_value(ard, group=arm, stat='n', **where):.0f}"
    notes = " ".join(table.footnotes)
    assert f"seed {store.study.endpoint.mi_seed}" in notes and f"{store.study.endpoint.mi_imputations} imputations" in notes
    assert notes.startswith("Estimand: in all randomized subjects (ITT)") and "treatment-policy" in notes
    for arm in store.study.arms:  # the estimand says how many values each arm is missing
        n = ard_value(ard, group=arm.code, stat="n", **where)
        observed = ard_value(ard, group=arm.code, stat="n", **(where | {"method": "DESCRIPTIVE"}))
        assert f"{arm.label} {n - observed:.0f} of {n:.0f}" in notes


def test_the_pages_ard_has_no_imputation_and_the_packs_has(study):
    store, ard = study
    pages = compute_ard(store, sensitivity=False)
    assert pages.method.isin(SENSITIVITY_METHODS).sum() == 0 < (ard.method == "MI").sum()
    pd.testing.assert_frame_equal(ard[~ard.method.isin(SENSITIVITY_METHODS)].reset_index(drop=True), pages)


def statsmodels_completed(frame: pd.DataFrame, seed: int, imputations: int) -> list[pd.DataFrame]:
    """statsmodels' completed data sets, drawn as ``MICE.fit`` draws them (burn-in, then skip + 1
    cycles before each)."""
    data = MICEData(frame, rng=np.random.default_rng(seed))
    data.update_all(MI_BURN_IN)
    done = []
    for _ in range(imputations):
        data.update_all(MI_SKIP + 1)
        done.append(data.data.copy())
    return done


def refit_shifted(completed, missing, shift):
    """Rubin's rules over OLS fits of every completed data set, the test arm's imputed values shifted."""
    q, u, df = [], [], None
    for data in completed:
        data = data.assign(y=data.y + shift * (missing & (data.arm1 == 1)).to_numpy())
        fit = smf.ols("y ~ arm1 + base", data).fit()
        q.append(fit.params["arm1"])
        u.append(fit.bse["arm1"] ** 2)
        df = fit.df_resid
    estimate, se, dof = barnard_rubin(q, u, df)
    return estimate, se, dof, 2 * stats.t.sf(abs(estimate) / se, dof)


def test_the_tipping_point_is_where_statsmodels_refits_pool_to_p_0_05(study):
    store, ard = study
    e = store.study.endpoint
    frame = frame_by_sql(store)
    missing = frame.y.isna().reset_index(drop=True)
    tipping = ard[(ard.table_id == "14.2.1") & (ard.method == "MI_TIPPING")]
    if not (missing & (frame.arm1 == 1)).any():  # nothing of the test arm imputed: no shift moves anything
        assert tipping.empty
        return
    where = {"table_id": "14.2.1", "group": CONTRAST, "method": "MI_TIPPING"}
    shift = ard_value(ard, stat="shift", **where)
    diff = ard_value(ard, stat="diff", **where)
    assert shift * ard_value(ard, table_id="14.2.1", group=CONTRAST, method="MI", stat="diff") < 0  # toward the null
    completed = statsmodels_completed(frame, e.mi_seed, e.mi_imputations)
    estimate, se, dof, p = refit_shifted(completed, missing, shift)
    assert math.isclose(p, 0.05, rel_tol=1e-6)
    assert math.isclose(diff, estimate, rel_tol=1e-6)
    half = stats.t.ppf(0.975, dof) * se
    assert math.isclose(ard_value(ard, stat="ci_lower", **where), estimate - half, abs_tol=1e-6 * se)
    assert math.isclose(ard_value(ard, stat="ci_upper", **where), estimate + half, rel_tol=1e-6)
    # the first shift that tips it: a shift 1 % smaller still leaves the difference significant
    assert refit_shifted(completed, missing, 0.99 * shift)[3] < 0.05
    table = layouts_efficacy.primary(ard, store.study)
    rows = {r.label: r.cells for r in table.rows}
    assert rows["Tipping point: shift of the arm's imputed values"] == ("", fmt_num(shift, e.decimals))
    assert rows["Difference at the tipping point (95 % CI)"] == ("", fmt_ci(diff, estimate - half, estimate + half, e.decimals))
    assert "-0.0" not in rows["Difference at the tipping point (95 % CI)"][1]  # the lower limit is zero, signless
    assert any(note.startswith("Tipping point (delta adjustment, missing not at random)") for note in table.footnotes)


def test_without_missing_values_in_the_test_arm_there_is_no_tipping_point_and_the_table_says_why(tmp_path):
    inputs = _scale_inputs(tmp_path, 120)
    adhc = inputs.adhc
    test_subjects = inputs.adsl.loc[inputs.adsl.arm == "MINOX_MN", "subject_id"]
    endpoint = (adhc.param == "HAIR_COUNT") & (adhc.region == "TARGET") & (adhc.avisit == "WEEK_12")
    for subject in test_subjects:  # every test-arm subject observed at week 12
        if not (endpoint & (adhc.subject_id == subject)).any():
            inputs.adsl = inputs.adsl[inputs.adsl.subject_id != subject]
            inputs.adhc = inputs.adhc[inputs.adhc.subject_id != subject]
    rows = sensitivity(inputs)
    assert not [r for r in rows if r["method"] == "MI_TIPPING"]
    assert [r for r in rows if r["method"] == "MI" and r["stat"] == "diff"]  # the imputation itself ran
    note = layouts_efficacy._tipping_note(inputs.study, {"MINOX_MN": (None, 1e-9, 0)})
    assert note.endswith("Minoxidil 5 % + microneedling: none, no value of the arm was imputed.")
    note = layouts_efficacy._tipping_note(inputs.study, {"MINOX_MN": (None, 0.2, 3)})
    assert note.endswith("none, the difference is not significant under missing at random.")
