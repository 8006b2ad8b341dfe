"""Statistics as pure functions: values in, numbers out; no printing, no files, no state.

Each returns a dict of named statistics (the ARD's ``stat`` names). Checked in the tests against
an independent computation (numpy, SciPy, statsmodels). A test that the data cannot support yet
(early in a study: an arm with one subject, no variation, no one assessed) returns an empty dict,
and the ARD simply has no row for it; tables show a dash.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sp

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


def s_ancova(change, baseline, treated) -> dict[str, float]:
    """ANCOVA of ``change ~ arm + baseline`` (``treated`` is 1 for the test arm, 0 for control).

    Least-squares means are taken at the mean baseline of all subjects. Returns lsmean and its se
    for each arm (``lsmean_control``, ``se_control``, ``lsmean_test``, ``se_test``), and the
    difference test − control with se, 95 % CI and two-sided p (t distribution, n − 3 df).
    """
    y = np.asarray(change, dtype=float)
    base = np.asarray(baseline, dtype=float)
    arm = np.asarray(treated, dtype=float)
    design = np.column_stack([np.ones_like(y), arm, base])
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    df = len(y) - rank
    if rank < 3 or df < 1:  # one arm empty, baseline constant, or no residual degrees of freedom
        return {}
    residual = y - design @ coef
    sigma2 = float(residual @ residual) / df
    cov = sigma2 * np.linalg.inv(design.T @ design)
    t = sp.t.ppf(0.5 + CONFIDENCE / 2, df)
    out = {"df": float(df)}
    for name, row in (("control", [1, 0, base.mean()]), ("test", [1, 1, base.mean()])):
        row = np.asarray(row)
        out[f"lsmean_{name}"] = float(row @ coef)
        out[f"se_{name}"] = float(math.sqrt(row @ cov @ row))
    diff, se = float(coef[1]), float(math.sqrt(cov[1, 1]))
    if not se > 0:  # a perfect fit: no error to test against
        return {}
    out |= {"diff": diff, "se": se, "ci_lower": diff - t * se, "ci_upper": diff + t * se,
            "p_value": float(2 * sp.t.sf(abs(diff / se), df))}
    return out


def s_welch(test, control) -> dict[str, float]:
    """Welch's t test of mean(test) − mean(control): difference, 95 % CI (Welch–Satterthwaite df), p."""
    a, b = np.asarray(test, dtype=float), np.asarray(control, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return {}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if not se > 0:
        return {}
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    diff = float(a.mean() - b.mean())
    t = sp.t.ppf(0.5 + CONFIDENCE / 2, df)
    return {"diff": diff, "se": se, "df": df, "ci_lower": diff - t * se, "ci_upper": diff + t * se,
            "p_value": float(2 * sp.t.sf(abs(diff / se), df))}


def s_mann_whitney(test, control) -> dict[str, float]:
    """Mann–Whitney U of test vs control, two-sided (SciPy's default exact/asymptotic choice)."""
    if len(test) == 0 or len(control) == 0:
        return {}
    result = sp.mannwhitneyu(np.asarray(test, dtype=float), np.asarray(control, dtype=float), alternative="two-sided")
    return {"statistic": float(result.statistic), "p_value": float(result.pvalue)}


def s_paired(before, after) -> dict[str, float]:
    """Paired t test of after − before against 0: mean difference, 95 % CI, p; and Wilcoxon's signed-rank p."""
    d = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    n = len(d)
    if n < 2:
        return {"n": n}
    mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(n))
    t = sp.t.ppf(0.5 + CONFIDENCE / 2, n - 1)
    out = {"n": n, "diff": mean, "se": se, "ci_lower": mean - t * se, "ci_upper": mean + t * se,
           "p_value": float(2 * sp.t.sf(abs(mean / se), n - 1)) if se > 0 else math.nan}
    out["p_value_wilcoxon"] = float(sp.wilcoxon(d).pvalue) if np.any(d != 0) else math.nan
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
    method (Newcombe 1998, method 10: Wilson intervals of each proportion combined)."""
    p1, p0 = events_test / n_test, events_control / n_control
    l1, u1 = _wilson(events_test, n_test)
    l0, u0 = _wilson(events_control, n_control)
    diff = p1 - p0
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return {"diff": 100 * diff, "ci_lower": 100 * lower, "ci_upper": 100 * upper}


def _wilson(events: int, n: int) -> tuple[float, float]:
    z = sp.norm.ppf(0.5 + CONFIDENCE / 2)
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
