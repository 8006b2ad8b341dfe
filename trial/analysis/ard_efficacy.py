"""ARD for section 14.2: the primary endpoint (14.2.1), hair counts by visit (14.2.2), pull test
(14.2.3), % change by subgroup (14.2.4) and global assessment (14.2.5).

Efficacy is analysed in the ITT population, observed cases: a subject counts at a visit where it
was assessed (and, for a change, also at baseline). Percentages are of the arm's ITT count, but for
the pull test: positive of the subjects tested, the untested counted apart (of the ITT count). The
primary endpoint has a sensitivity analysis by multiple imputation under missing at random (every
ITT subject, method ``MI``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trial.analysis.ard_inputs import Inputs, Rows
from trial.analysis.imputation import chained_imputations, rubin, tipping_point
from trial.analysis.stats import (
    s_ancova,
    s_count,
    s_descriptive,
    s_fisher,
    s_mann_whitney,
    s_paired,
    s_welch,
)

SUBGROUPS = ((), ("diagnosis",), ("sex",), ("diagnosis", "sex"))


def endpoint_rows(inputs: Inputs) -> pd.DataFrame:
    """The primary endpoint's analysis rows: one per subject with a value at the primary visit."""
    e = inputs.study.endpoint
    adhc = inputs.adhc
    chosen = adhc[(adhc.param == e.parameter) & (adhc.region == e.region) & (adhc.avisit == e.visit)]
    return chosen[chosen[e.measure].notna()]


def primary(inputs: Inputs) -> list[dict]:
    e = inputs.study.endpoint
    rows = Rows("14.2.1", "ITT")
    param = f"{e.parameter}_{e.measure.upper()}"
    data = endpoint_rows(inputs)
    where = {"param": param, "category": e.region, "visit": e.visit}
    for arm in inputs.arms:
        rows.add(s_descriptive(data[data.arm == arm][e.measure]), group=arm, **where)
    if inputs.control is None:  # a single-arm study: change within the arm, against no change
        for arm in inputs.arms:  # the paired test compares the values themselves with baseline
            mine = data[data.arm == arm]
            rows.add(s_paired(mine.base, mine.aval), group=arm, method="PAIRED_T", **(where | {"param": e.parameter}))
        return rows.rows
    ancova = s_ancova(data[e.measure], data.base, data.arm, inputs.control, inputs.arms)  # one model, every arm
    if ancova:  # not estimable early in a study (see stats)
        for arm, lsmean in ancova["lsmeans"].items():
            rows.add(lsmean, group=arm, method="ANCOVA", **where)
        for test, contrast in ancova["contrasts"].items():
            rows.add(contrast, group=inputs.contrast(test), method="ANCOVA", **where)
    for test in inputs.tests:
        treated, control = data[data.arm == test][e.measure], data[data.arm == inputs.control][e.measure]
        contrast = inputs.contrast(test)
        welch = s_welch(treated, control)
        rows.add({k: v for k, v in welch.items() if k in ("diff", "ci_lower", "ci_upper", "p_value")}, group=contrast, method="WELCH_T", **where)
        rows.add(s_mann_whitney(treated, control), group=contrast, method="MANN_WHITNEY", **where)
    return rows.rows


MI_BURN_IN, MI_SKIP = 5, 1  # cycles before the first completed data set, and skipped between two


def imputation_frame(inputs: Inputs) -> tuple[pd.DataFrame, pd.Series]:
    """The data of the multiple imputation: one row per ITT subject in subject-id order, and its
    arm. Columns, in this order: ``y`` the primary endpoint (the study's measure at the primary
    visit), ``base`` its baseline value, ``v1``, ``v2``, … the same measure at each earlier
    post-baseline visit in visit order (a visit where fewer than two subjects have a value is left
    out), then ``arm1``, ``arm2``, … one 0/1 column per test arm in the study's order."""
    study = inputs.study
    e = study.endpoint
    itt = inputs.adsl.loc[inputs.adsl.ittfl, ["subject_id", "arm"]].sort_values("subject_id").reset_index(drop=True)
    adhc = inputs.adhc
    adhc = adhc.loc[(adhc.param == e.parameter) & (adhc.region == e.region), ["subject_id", "avisit", "aval", e.measure]]
    place = pd.Index(itt.subject_id).get_indexer(adhc.subject_id)  # each row's subject, once for every visit
    adhc, place = adhc[place >= 0], place[place >= 0]
    visits = adhc.avisit.to_numpy()

    def at(visit: str, column: str) -> np.ndarray:
        """The column at the visit, one value per ITT subject (the first row where a subject has two)."""
        mine = visits == visit
        values = np.full(len(itt), np.nan)
        values[place[mine][::-1]] = adhc[column].to_numpy(dtype=float, na_value=np.nan)[mine][::-1]
        return values

    frame = pd.DataFrame({"y": at(e.visit, e.measure), "base": at(study.baseline_visit.code, "aval")})
    codes = study.visit_codes
    earlier = codes[codes.index(study.baseline_visit.code) + 1:codes.index(e.visit)]
    for visit in earlier:
        values = at(visit, e.measure)
        if np.count_nonzero(~np.isnan(values)) >= 2:
            frame[f"v{len(frame.columns) - 1}"] = values
    for i, test in enumerate(inputs.tests, start=1):
        frame[f"arm{i}"] = (itt.arm == test).to_numpy(dtype=float)
    return frame, itt.arm


def imputed(inputs: Inputs) -> Rows:
    """The primary ANCOVA on every ITT subject, missing values imputed under missing at random by
    chained equations (imputation), fitted to each completed data set and pooled by Rubin's rules.
    Then, for each test arm, the tipping point (method ``MI_TIPPING``): the shift of that arm's
    imputed values (missing not at random: its missing subjects did that much worse than the observed
    ones like them) at which the difference stops being significant; none when it is not significant
    to begin with or nothing of the arm was imputed. Only the seed and the number of imputations while
    an arm has fewer than two observed values or the models have nothing to fit."""
    e = inputs.study.endpoint
    rows = Rows("14.2.1", "ITT")
    if inputs.control is None:
        return rows
    where = {"param": f"{e.parameter}_{e.measure.upper()}", "category": e.region, "visit": e.visit, "method": "MI"}
    for test in inputs.tests:  # what was pre-specified, estimable or not
        rows.add({"imputations": e.mi_imputations, "seed": e.mi_seed}, group=inputs.contrast(test), **where)
    frame, arms = imputation_frame(inputs)
    observed = frame.y.notna()
    if any(observed[arms == a].sum() < 2 for a in inputs.arms) or observed.sum() <= len(frame.columns) + 1 or frame.base.notna().sum() < 2:
        return rows
    completed = [(done.y.to_numpy(), done.base.to_numpy()) for done in
                 chained_imputations(frame, seed=e.mi_seed, imputations=e.mi_imputations, burn_in=MI_BURN_IN, skip=MI_SKIP)]
    fits = [s_ancova(y, base, arms, inputs.control, inputs.arms) for y, base in completed]
    if not all(fits):
        return rows
    complete_df = fits[0]["df"]
    for arm in inputs.arms:
        pooled = rubin([f["lsmeans"][arm]["lsmean"] for f in fits], [f["lsmeans"][arm]["se"] ** 2 for f in fits], complete_df)
        mine = arms == arm
        rows.add({"n": int(mine.sum()), "n_imputed": int((mine & ~observed).sum()), "lsmean": pooled["diff"], "se": pooled["se"]},
                 group=arm, **where)
    for test in inputs.tests:
        pooled = rubin([f["contrasts"][test]["diff"] for f in fits], [f["contrasts"][test]["se"] ** 2 for f in fits], complete_df)
        rows.add(pooled, group=inputs.contrast(test), **where)
        imputed_here = (arms == test).to_numpy(dtype=bool) & ~observed.to_numpy()

        def fits_at(shift: float, test=test, imputed_here=imputed_here) -> tuple[np.ndarray, np.ndarray]:
            chosen = fits if shift == 0 else [
                s_ancova(y + shift * imputed_here, base, arms, inputs.control, inputs.arms) for y, base in completed]
            contrasts = [f["contrasts"][test] for f in chosen]
            return np.array([c["diff"] for c in contrasts]), np.array([c["se"] ** 2 for c in contrasts])

        tipping = tipping_point(fits_at, complete_df)
        if tipping is not None:
            rows.add(tipping, group=inputs.contrast(test), **(where | {"method": "MI_TIPPING"}))
    return rows


def by_visit(inputs: Inputs) -> list[dict]:
    rows = Rows("14.2.2", "ITT")
    adhc = inputs.adhc
    adhc = adhc.loc[adhc.param.isin(["HAIR_COUNT", "DENSITY"]), ["param", "region", "avisit", "arm", "ablfl", "aval", "chg", "pchg"]]
    for (param, region, visit, arm), group in adhc.groupby(["param", "region", "avisit", "arm"], sort=True):
        where = {"category": region, "visit": visit, "group": arm}
        rows.add(s_descriptive(group.aval), param=param, **where)
        if not group.ablfl.any():
            rows.add(s_descriptive(group.chg), param=f"{param}_CHG", **where)
            rows.add(s_descriptive(group.pchg), param=f"{param}_PCHG", **where)
    return rows.rows


def pull_test(inputs: Inputs) -> list[dict]:
    rows = Rows("14.2.3", "ITT")
    adpt = inputs.adpt
    big_n = inputs.big_n("ITT")
    for (visit, arm), group in adpt.groupby(["avisit", "arm"], sort=True):  # positive of the tested; the untested apart
        rows.add({"tested": len(group)} | s_count(int(group.positive.sum()), len(group)), param="PULL_POSITIVE", visit=visit, group=arm, method="COUNT")
        rows.add(s_count(int((~group.positive).sum()), len(group)), param="PULL_NEGATIVE", visit=visit, group=arm, method="COUNT")
        rows.add(s_count(big_n[arm] - len(group), big_n[arm]), param="PULL_NOT_TESTED", visit=visit, group=arm, method="COUNT")
    primary_visit = inputs.study.primary_visit.code
    at_primary = adpt[adpt.avisit == primary_visit]
    for test in inputs.tests:
        t, c = at_primary[at_primary.arm == test], at_primary[at_primary.arm == inputs.control]
        if len(t) and len(c):
            stats = s_fisher(int(t.positive.sum()), len(t), int(c.positive.sum()), len(c))
            rows.add(stats, param="PULL_POSITIVE", visit=primary_visit, group=inputs.contrast(test), method="FISHER")
    return rows.rows


def subgroups(inputs: Inputs) -> list[dict]:
    """% change in density at the primary visit by region, diagnosis and sex, with paired tests."""
    rows = Rows("14.2.4", "ITT")
    visit = inputs.study.primary_visit.code
    adhc = inputs.adhc
    columns = ["region", *dict.fromkeys(k for by in SUBGROUPS for k in by), "arm", "base", "aval", "pchg"]
    data = adhc.loc[(adhc.param == "DENSITY") & (adhc.avisit == visit) & adhc.pchg.notna(), columns]
    for region, in_region in data.groupby("region", sort=True):
        for by in SUBGROUPS:
            levels = in_region.groupby(list(by), sort=True) if by else [((), in_region)]
            for level, group in levels:
                level = level if isinstance(level, tuple) else (level,)
                category = ";".join([f"region={region}", *(f"{k}={v}" for k, v in zip(by, level, strict=True))])
                for arm, mine in group.groupby("arm", sort=True):
                    where = {"param": "DENSITY_PCHG", "category": category, "visit": visit, "group": arm}
                    rows.add(s_descriptive(mine.pchg), **where)
                    if len(mine) > 1:  # density at the visit against density at baseline
                        rows.add(s_paired(mine.base, mine.aval), method="PAIRED_T", **(where | {"param": "DENSITY"}))
    return rows.rows


def global_assessment(inputs: Inputs) -> list[dict]:
    rows = Rows("14.2.5", "ITT")
    visit = inputs.study.primary_visit.code
    adga = inputs.adga[inputs.adga.avisit == visit]
    big_n = inputs.big_n("ITT")
    for assessor, by_assessor in adga.groupby("assessor", sort=True):
        param = f"GLOBAL_{assessor}"
        for arm in inputs.arms:
            mine = by_assessor[by_assessor.arm == arm]
            for score in range(-3, 4):
                rows.add(s_count(int((mine.score == score).sum()), big_n[arm]), param=param, category=f"score={score:+d}", visit=visit, group=arm, method="COUNT")
            rows.add({"assessed": len(mine)} | s_count(int(mine.respfl.sum()), big_n[arm]), param=param, category="RESPONDER", visit=visit, group=arm, method="COUNT")
        for test in inputs.tests:
            t, c = by_assessor[by_assessor.arm == test], by_assessor[by_assessor.arm == inputs.control]
            stats = s_fisher(int(t.respfl.sum()), big_n[test], int(c.respfl.sum()), big_n[inputs.control])
            rows.add(stats, param=param, category="RESPONDER", visit=visit, group=inputs.contrast(test), method="FISHER")
    return rows.rows


def sensitivity(inputs: Inputs) -> list[dict]:
    """The primary endpoint's multiple-imputation rows (table 14.2.1, method MI) and its tipping point
    (method MI_TIPPING)."""
    return imputed(inputs).rows


ANALYSES = (primary, by_visit, pull_test, subgroups, global_assessment)
SENSITIVITY = (sensitivity,)  # costly (seconds at 100,000 subjects) and shown only in the pack
