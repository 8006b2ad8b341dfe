"""Statistics as pure functions: values in, numbers out; no printing, no files, no state.

Each returns a dict of named statistics (the ARD's ``stat`` names). Checked in the tests against
an independent computation (numpy, SciPy, statsmodels). A test that the data cannot support yet
(early in a study: an arm with one subject, no variation, no one assessed) returns an empty dict,
and the ARD simply has no row for it; tables show a dash.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sp
from statsmodels.stats.proportion import confint_proportions_2indep

CONFIDENCE = 0.95


def s_descriptive(values) -> dict[str, float]:
    """n, mean, sd (n-1), 95 % CI of the mean, median, q1, q3 (linear interpolation), min, max."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"n": 0}
    q1, median, q3 = np.percentile(x, [25, 50, 75])
    mean, sd = float(x.mean()), float(x.std(ddof=1)) if n > 1 else math.nan
    half = sp.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "ci_lower": mean - half,  # 95 % CI of the mean (t distribution)
        "ci_upper": mean + half,
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(x.min()),
        "max": float(x.max()),
    }


def s_count(count: int, denominator: int) -> dict[str, float]:
    """A count and its percentage of ``denominator`` (the arm's population count)."""
    return {"count": count, "denominator": denominator, "pct": 100.0 * count / denominator if denominator else math.nan}


def s_ancova(change, baseline, arm, control: str, arms: list[str]) -> dict:
    """ANCOVA of ``change ~ arm + baseline``: **one** model over every arm of ``arms`` (``arm`` holds
    each subject's), least squares with ``control`` as the reference.

    Least-squares means are taken at the mean baseline of all subjects in the model. Returns
    ``{"df": …, "lsmeans": {arm: {"lsmean", "se"}}, "contrasts": {test arm: {"diff", "se",
    "ci_lower", "ci_upper", "p_value"}}}`` (t distribution, n − (arms + 1) df), or {} where the data
    cannot support the model yet (an arm empty, baseline constant, no residual degrees of freedom,
    or a perfect fit).

    Hand-written rather than statsmodels' OLS, which is the reference the tests hold it to (to
    1e-9): the multiple-imputation sensitivity analysis fits 60 of these models, and at 100,000
    subjects statsmodels spends 15 ms on each (checking the design for a constant, its pseudo-
    inverse, the results' wrappers) where the one singular value decomposition below, the same
    pseudo-inverse statsmodels takes, costs 3 ms.
    """
    y = np.asarray(change, dtype=float)
    base = np.asarray(baseline, dtype=float)
    groups = arm if isinstance(arm, np.ndarray | pd.Series) else np.asarray(arm, dtype=object)
    member = {a: np.asarray(groups == a, dtype=bool) for a in arms}  # no Python string per subject
    arms = [a for a in arms if member[a].any()]  # an arm with no one yet is left out, not the model
    if control not in arms:
        return {}
    tests = [a for a in arms if a != control]
    design = np.column_stack([np.ones_like(y), *[member[t].astype(float) for t in tests], base])
    if not len(y):
        return {}
    u, singular, vt = np.linalg.svd(design, full_matrices=False)
    rank = int((singular > singular.max() * max(design.shape) * np.finfo(float).eps).sum())
    df = len(y) - rank
    if rank < design.shape[1] or df < 1:
        return {}
    params = vt.T @ ((u.T @ y) / singular)
    residual = y - design @ params
    scale = float(residual @ residual) / df
    if not scale > 0:  # a perfect fit: no error to test against
        return {}
    cov = scale * (vt.T / singular**2) @ vt
    at_mean = np.zeros((len(arms), design.shape[1]))
    at_mean[:, 0], at_mean[:, -1] = 1.0, base.mean()
    for row, a in enumerate(arms):
        if a != control:
            at_mean[row, 1 + tests.index(a)] = 1.0
    lsmean, lsmean_se = at_mean @ params, np.sqrt(np.einsum("ij,jk,ik->i", at_mean, cov, at_mean))
    out = {"df": float(df),
           "lsmeans": {a: {"lsmean": float(lsmean[i]), "se": float(lsmean_se[i])} for i, a in enumerate(arms)},
           "contrasts": {}}
    quantile = sp.t.ppf((1 + CONFIDENCE) / 2, df)
    for i, t in enumerate(tests, start=1):
        diff, se = float(params[i]), math.sqrt(cov[i, i])
        out["contrasts"][t] = {"diff": diff, "se": se, "ci_lower": diff - quantile * se, "ci_upper": diff + quantile * se,
                               "p_value": float(2 * sp.t.sf(abs(diff) / se, df))}
    return out


def s_welch(test, control) -> dict[str, float]:
    """Welch's t test of mean(test) − mean(control) (SciPy): difference, se, Welch–Satterthwaite df,
    95 % CI, two-sided p."""
    a, b = np.asarray(test, dtype=float), np.asarray(control, dtype=float)
    if len(a) < 2 or len(b) < 2 or not (a.var(ddof=1) + b.var(ddof=1)) > 0:
        return {}
    result = sp.ttest_ind(a, b, equal_var=False)
    diff = float(a.mean() - b.mean())
    ci = result.confidence_interval(CONFIDENCE)
    return {"diff": diff, "se": diff / float(result.statistic), "df": float(result.df), "ci_lower": float(ci.low),
            "ci_upper": float(ci.high), "p_value": float(result.pvalue)}


def s_mann_whitney(test, control) -> dict[str, float]:
    """Mann–Whitney U of test vs control, two-sided (SciPy's default exact/asymptotic choice)."""
    if len(test) == 0 or len(control) == 0:
        return {}
    result = sp.mannwhitneyu(np.asarray(test, dtype=float), np.asarray(control, dtype=float), alternative="two-sided")
    return {"statistic": float(result.statistic), "p_value": float(result.pvalue)}


def s_paired(before, after) -> dict[str, float]:
    """Paired t test of after − before against 0 (SciPy): mean difference, 95 % CI, p; and
    Wilcoxon's signed-rank p."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    d = after - before
    n = len(d)
    if n < 2:
        return {"n": n}
    mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(n))
    out = {"n": n, "diff": mean, "se": se, "ci_lower": mean, "ci_upper": mean, "p_value": math.nan,
           "p_value_wilcoxon": float(sp.wilcoxon(d).pvalue) if np.any(d != 0) else math.nan}
    if se > 0:  # else every change is the same: nothing to test against
        result = sp.ttest_rel(after, before)
        ci = result.confidence_interval(CONFIDENCE)
        out |= {"ci_lower": float(ci.low), "ci_upper": float(ci.high), "p_value": float(result.pvalue)}
    return out


def s_fisher(events_test: int, n_test: int, events_control: int, n_control: int) -> dict[str, float]:
    """Fisher's exact test (two-sided) of a 2×2 table: test and control, with and without the event."""
    if n_test == 0 or n_control == 0:
        return {}
    table = [[events_test, n_test - events_test], [events_control, n_control - events_control]]
    result = sp.fisher_exact(table, alternative="two-sided")
    return {"odds_ratio": float(result.statistic), "p_value": float(result.pvalue)}


def s_risk_difference(events_test: int, n_test: int, events_control: int, n_control: int) -> dict[str, float]:
    """Risk difference test − control in percentage points, 95 % CI by Newcombe's hybrid score
    method (Newcombe 1998, method 10: Wilson intervals of each proportion combined; statsmodels)."""
    lower, upper = confint_proportions_2indep(events_test, n_test, events_control, n_control, method="newcomb",
                                              compare="diff", alpha=1 - CONFIDENCE)
    diff = events_test / n_test - events_control / n_control
    return {"diff": 100 * diff, "ci_lower": 100 * float(lower), "ci_upper": 100 * float(upper)}
