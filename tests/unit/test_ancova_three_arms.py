"""The primary ANCOVA is one model over all arms: a three-arm study has one control LS mean per
cell (two models, one per test arm, printed two different control LS means for one cell), equal to
statsmodels' formula fit to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from trial.analysis.ard_efficacy import primary, sensitivity
from trial.analysis.ard_inputs import Inputs
from trial.study import builtin_study_text, parse_study

THIRD_ARM = '''
[[arms]]
code = "MINOX_MN_2W"
label = "Minoxidil 5 % + microneedling every two weeks"
microneedling = true
'''


def _three_arm_study():
    text = builtin_study_text()
    at = text.index("# day: target study day")  # after the demo's two [[arms]]
    return parse_study(text[:at] + THIRD_ARM.lstrip("\n") + "\n" + text[at:])


def _endpoint(study, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = study.endpoint
    effect = {"MINOX": 8.0, "MINOX_MN": 25.0, "MINOX_MN_2W": 15.0}
    rows = []
    for arm, shift in effect.items():
        base = rng.normal(150, 20, 40)
        change = shift + 0.1 * (base - 150) + rng.normal(0, 9, 40)
        rows += [{"arm": arm, "base": b, "chg": c} for b, c in zip(base, change, strict=True)]
    frame = pd.DataFrame(rows)
    frame = frame.assign(subject_id=[f"S{i:03d}" for i in range(len(frame))], param=e.parameter, region=e.region, avisit=e.visit,
                         aval=frame.base + frame.chg)
    baseline = frame.assign(avisit=study.baseline_visit.code, aval=frame.base, chg=np.nan)
    return pd.concat([baseline, frame], ignore_index=True)


def _inputs(study, adhc) -> Inputs:
    empty = pd.DataFrame()
    adsl = adhc.drop_duplicates("subject_id")[["subject_id", "arm"]].assign(ittfl=True)
    return Inputs(study, adsl=adsl, adhc=adhc, adpt=empty, adga=empty, adae=empty, sessions=empty)


def test_one_model_one_control_ls_mean_equal_to_statsmodels():
    study = _three_arm_study()
    assert study.arm_codes == ["MINOX", "MINOX_MN", "MINOX_MN_2W"]
    adhc = _endpoint(study)
    inputs = _inputs(study, adhc)
    ard = pd.DataFrame(primary(inputs) + sensitivity(inputs))
    ancova = ard[ard.method == "ANCOVA"]
    lsmeans = ancova[ancova.stat == "lsmean"]
    assert sorted(lsmeans.group) == ["MINOX", "MINOX_MN", "MINOX_MN_2W"]  # one row per cell, the control's once

    adhc = adhc[adhc.avisit == study.endpoint.visit]
    fit = smf.ols("chg ~ C(arm, Treatment('MINOX')) + base", data=adhc).fit()
    at_mean = pd.DataFrame({"arm": study.arm_codes, "base": adhc.base.mean()})
    predicted = fit.get_prediction(at_mean).summary_frame().set_index(at_mean.arm)
    for arm in study.arm_codes:
        mine = ancova[ancova.group == arm].set_index("stat").value
        assert abs(mine["lsmean"] - predicted.loc[arm, "mean"]) < 1e-9
        assert abs(mine["se"] - predicted.loc[arm, "mean_se"]) < 1e-9
    for test in ("MINOX_MN", "MINOX_MN_2W"):
        term = f"C(arm, Treatment('MINOX'))[T.{test}]"
        mine = ancova[ancova.group == f"{test}-MINOX"].set_index("stat").value
        low, high = fit.conf_int().loc[term]
        assert abs(mine["diff"] - fit.params[term]) < 1e-9 and abs(mine["se"] - fit.bse[term]) < 1e-9
        assert abs(mine["ci_lower"] - low) < 1e-9 and abs(mine["ci_upper"] - high) < 1e-9
        assert abs(mine["p_value"] - fit.pvalues[term]) < 1e-9
        imputed = ard[(ard.method == "MI") & (ard.group == f"{test}-MINOX")].set_index("stat").value
        assert abs(imputed["diff"] - fit.params[term]) < 1e-9  # nothing missing: nothing to impute
        assert abs(imputed["se"] - fit.bse[term]) < 1e-9 and imputed["fmi"] < 1e-12


def test_an_arm_with_no_one_yet_leaves_the_others_estimable():
    study = _three_arm_study()
    adhc = _endpoint(study)
    adhc = adhc[adhc.arm != "MINOX_MN_2W"]
    ard = pd.DataFrame(primary(_inputs(study, adhc)))
    ancova = ard[ard.method == "ANCOVA"]
    assert sorted(ancova[ancova.stat == "lsmean"].group) == ["MINOX", "MINOX_MN"]
    adhc = adhc[adhc.avisit == study.endpoint.visit]
    fit = smf.ols("chg ~ C(arm, Treatment('MINOX')) + base", data=adhc).fit()
    diff = ancova[(ancova.group == "MINOX_MN-MINOX") & (ancova.stat == "diff")].value.item()
    assert abs(diff - fit.params["C(arm, Treatment('MINOX'))[T.MINOX_MN]"]) < 1e-9
