"""Calibrate sampled values so that published summary statistics come out exactly.

A synthetic scenario samples per-subject values at random and then adjusts them as little as
possible so that the statistic printed in a paper (a mean, a median, a percent change) is
reproduced at the paper's printed precision, under any seed. "Rounds to" always means Python's
``round`` applied to the float statistic, with a margin so that nothing sits on a half-way point.

All functions are pure: they take a ``numpy.random.Generator`` for every random choice and never
touch global state.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

__all__ = [
    "counts_for_percent_change",
    "feasible_total",
    "pinned",
    "shift_to_mean",
    "values_with_medians",
]

_EPS = 1e-12  # distance kept from a rounding half-way point
_GAP = 1e-9  # extra distance kept from a pinned value, against float noise


def _rounds_to(value: float, target: float, decimals: int) -> bool:
    """Whether ``value`` rounds to ``target`` (already rounded), away from half-way points."""
    half = 0.5 * 10.0**-decimals
    return round(value, decimals) == target and abs(value - target) < half - _EPS


def feasible_total(mean: float, n: int, decimals: int) -> int | None:
    """An integer total whose mean over ``n`` values rounds to ``mean``.

    Parameters
    ----------
    mean : float
        The published mean; only ``round(mean, decimals)`` matters.
    n : int
        Number of values, at least 1.
    decimals : int
        Printed precision of the mean (digits after the decimal point, at least 0).

    Returns
    -------
    int or None
        The total ``T`` closest to ``mean * n`` such that ``round(T / n, decimals) ==
        round(mean, decimals)`` with ``T / n`` strictly inside the rounding interval, or ``None``
        when no integer total works for this ``n`` (e.g. mean 12.52 with n = 32).

    Raises
    ------
    ValueError
        If ``n < 1`` or ``decimals < 0``.
    """
    if n < 1 or decimals < 0:
        raise ValueError(f"need n >= 1 and decimals >= 0, got n={n}, decimals={decimals}")
    target = round(mean, decimals)
    half = 0.5 * 10.0**-decimals
    lo, hi = math.ceil((target - half) * n), math.floor((target + half) * n)
    near = round(mean * n)
    # The feasible totals form a run of consecutive integers: the closest one to mean * n is the
    # nearest integer or an end of the run (neighbours included against float error).
    candidates = {t + d for t in (near, lo, hi) for d in (-1, 0, 1)}
    ok = [t for t in candidates if _rounds_to(t / n, target, decimals)]
    if not ok:
        return None
    return min(ok, key=lambda t: (abs(t - mean * n), t))


def shift_to_mean(
    values: np.ndarray,
    mean: float,
    decimals: int,
    rng: np.random.Generator,
    low: int | None = None,
    high: int | None = None,
) -> np.ndarray:
    """Adjust integer values as little as possible so that their mean rounds to ``mean``.

    The total is moved to :func:`feasible_total`: every value is shifted by the integer part of
    the per-value correction and the remaining single units go to randomly chosen values, so the
    per-subject noise is kept. Values are first clipped to ``[low, high]``; a value that reaches a
    bound stops moving and the others take up the rest.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional integer values (e.g. per-subject changes in hair count); not modified.
    mean : float
        Target mean, compared at ``decimals``.
    decimals : int
        Printed precision of the mean.
    rng : numpy.random.Generator
        Chooses which values take the remaining units.
    low, high : int, optional
        Inclusive bounds on every returned value.

    Returns
    -------
    numpy.ndarray
        New ``int64`` array of the same length whose mean rounds to ``round(mean, decimals)``.

    Raises
    ------
    ValueError
        If the values are not integers, or no total of ``n`` integers (within the bounds) has a
        mean that rounds to ``mean``; the caller should then change ``n``.
    """
    v = np.asarray(values)
    if v.ndim != 1 or v.size == 0:
        raise ValueError("values must be a non-empty one-dimensional array")
    if not np.issubdtype(v.dtype, np.integer) and not (np.isfinite(v).all() and (v == np.round(v)).all()):
        raise ValueError("values must be integers")
    w = v.astype(np.int64)
    if (low, high) != (None, None):
        w = np.clip(w, low, high)
    n = w.size
    total = feasible_total(mean, n, decimals)
    if total is None:
        raise ValueError(
            f"no {n} integer values have a mean that rounds to {round(mean, decimals)} "
            f"(n={n}, mean={mean}, decimals={decimals}); choose another n"
        )
    if (low is not None and total < low * n) or (high is not None and total > high * n):
        raise ValueError(
            f"a mean of {round(mean, decimals)} over n={n} values is out of the bounds [{low}, {high}]"
        )
    while (rest := total - int(w.sum())) != 0:
        step = 1 if rest > 0 else -1
        bound = high if step > 0 else low
        room = np.full(n, abs(rest), dtype=np.int64) if bound is None else step * (bound - w)
        free = np.flatnonzero(room > 0)
        each = abs(rest) // free.size
        if each:  # shift every value that can move by the integer part of the correction
            w[free] += step * np.minimum(each, room[free])
        else:  # hand out the remaining single units at random
            w[rng.choice(free, size=abs(rest), replace=False)] += step
    return w


def counts_for_percent_change(
    pct: float,
    rng: np.random.Generator,
    baseline_low: int = 100,
    baseline_high: int = 400,
    decimals: int = 2,
    tolerance: float | None = None,
) -> tuple[int, int]:
    """Integer counts whose percent change is ``pct``.

    Parameters
    ----------
    pct : float
        Wanted percent change ``100 * (c1 - c0) / c0``.
    rng : numpy.random.Generator
        Picks one pair among all that qualify.
    baseline_low, baseline_high : int
        Inclusive range of the baseline count ``c0`` (``baseline_low >= 1``).
    decimals : int
        Printed precision of ``pct``; only used for the default tolerance.
    tolerance : float, optional
        Largest allowed ``|100 * (c1 - c0) / c0 - pct|``. Default ``0.3 * 10**-decimals``: the
        realised change then rounds to ``pct`` with a margin of ``0.2 * 10**-decimals``.

    Returns
    -------
    tuple of int
        ``(c0, c1)`` with ``baseline_low <= c0 <= baseline_high`` and ``c1 >= 0``.

    Raises
    ------
    ValueError
        If the range is invalid or no pair is within the tolerance.
    """
    if not 1 <= baseline_low <= baseline_high:
        raise ValueError(f"need 1 <= baseline_low <= baseline_high, got {baseline_low}, {baseline_high}")
    tol = 0.3 * 10.0**-decimals if tolerance is None else tolerance
    c0 = np.arange(baseline_low, baseline_high + 1, dtype=np.int64)[:, None]
    c1 = np.rint(c0 * (1 + pct / 100)).astype(np.int64) + np.array([-1, 0, 1])
    c0 = np.broadcast_to(c0, c1.shape)
    ok = (c1 >= 0) & (np.abs(100.0 * (c1 - c0) / c0 - pct) <= tol)
    if not ok.any():
        raise ValueError(
            f"no counts with baseline in [{baseline_low}, {baseline_high}] give a change of "
            f"{pct}% within {tol}"
        )
    pick = rng.integers(int(ok.sum()))
    return int(c0[ok][pick]), int(c1[ok][pick])


def pinned(values: np.ndarray, target: float, tol: float = 0.0) -> np.ndarray:
    """Mask of the values within ``tol`` of ``target`` (the pinned ones).

    Parameters
    ----------
    values : numpy.ndarray
        Values, e.g. one group from :func:`values_with_medians`.
    target : float
        A pinned value (a group median or the overall median).
    tol : float
        Largest distance counted as pinned; values from :func:`values_with_medians` are either
        exactly a target or at least ``margin`` away, so ``0`` works for them.

    Returns
    -------
    numpy.ndarray
        Boolean mask, same shape as ``values``.
    """
    return np.abs(np.asarray(values, dtype=float) - target) <= tol


def values_with_medians(
    groups: dict[str, tuple[int, float]],
    overall_median: float | None,
    rng: np.random.Generator,
    spread: float = 15.0,
    floor: float = -50.0,
    margin: float = 0.6,
) -> dict[str, np.ndarray]:
    """Values for disjoint groups with exact group medians and an exact pooled median.

    Each group's median position(s) hold its target (one value for odd ``n``, the two middle
    values for even ``n``); when ``overall_median`` is given, one (odd total) or two (even total)
    further values equal to it are placed where the pooled median needs them (or a group whose
    target equals it provides them). How many values of each group lie below / at / above the
    overall median is chosen at random among all allocations that give the right pooled count,
    weighted by how likely each allocation is when every half of a group is sampled from a normal
    distribution around the group's target; allocations that need a region narrower than
    ``2 * margin`` are used only when nothing else works. Every other value is sampled from
    ``Normal(target, spread)`` truncated to its region, above ``floor`` and at least ``margin``
    away from every pinned value, so later moves smaller than ``margin`` change no median.

    Only medians made of pinned values are produced: targets that could only be met with two
    different middle values (e.g. sizes 3 and 1, medians 11 and 69, overall 55.26) are refused.
    A group "equals" the overall median only when the floats are equal.

    Parameters
    ----------
    groups : dict of str to (int, float)
        Group name to (size, target median); sizes at least 1.
    overall_median : float or None
        Target median of all values pooled, or ``None`` for no pooled constraint.
    rng : numpy.random.Generator
        Source of every random choice.
    spread : float
        Standard deviation of the values around their group's median.
    floor : float
        All values are above it (e.g. -50 for a percent change). Targets must be above it.
    margin : float
        Smallest distance between an unpinned value and any pinned value.

    Returns
    -------
    dict of str to numpy.ndarray
        Per group, ``n_g`` floats in random order. Pinned values equal their target exactly, so
        ``numpy.median`` of a group is exactly its target and of all values exactly
        ``overall_median``; :func:`pinned` with ``tol=0`` finds them.

    Raises
    ------
    ValueError
        If an argument is invalid or the targets cannot all hold (e.g. every group's median far
        above the overall median, leaving no room below it).
    """
    if not groups:
        raise ValueError("need at least one group")
    if spread <= 0 or margin < 0:
        raise ValueError(f"need spread > 0 and margin >= 0, got {spread}, {margin}")
    for name, (n, m) in groups.items():
        if n < 1 or not math.isfinite(m) or m <= floor:
            raise ValueError(f"group {name!r}: need size >= 1 and a finite median above {floor}")
    if overall_median is not None and not (math.isfinite(overall_median) and overall_median > floor):
        raise ValueError(f"overall median must be finite and above {floor}")
    targets = [m for _, m in groups.values()] + ([overall_median] if overall_median is not None else [])
    space = _Space(sorted(set(targets)), floor, margin + _GAP)
    plans = None
    for min_width in (2 * margin, 0.0):  # prefer allocations without cramped regions
        options = [_options(n, m, overall_median, space, spread, min_width) for n, m in groups.values()]
        if not all(options):
            continue
        if overall_median is None:
            plans = [opts[0][3] for opts in options]
            break
        total = sum(n for n, _ in groups.values())
        fixed = sum(2 - n % 2 for n, m in groups.values() if m == overall_median)
        plans = _choose(options, total, fixed, rng)
        if plans is not None:
            break
    if plans is None:
        medians = {name: m for name, (_, m) in groups.items()}
        sizes = {name: n for name, (n, _) in groups.items()}
        raise ValueError(
            f"no values can have group medians {medians} and pooled median {overall_median} "
            f"with sizes {sizes} (margin {margin}, floor {floor})"
        )
    out = {}
    for (name, (_, m)), slots in zip(groups.items(), plans, strict=True):
        parts = [
            np.full(count, lo) if hi is None else _sample(rng, m, spread, space.allowed(lo, hi), count)
            for lo, hi, count in slots
            if count
        ]
        out[name] = rng.permutation(np.concatenate(parts))
    return out


class _Space:
    """The line above ``floor`` minus ``(p - margin, p + margin)`` around each pinned ``p``."""

    def __init__(self, pins: list[float], floor: float, margin: float):
        self.pins, self.floor, self.margin = pins, floor, margin

    def allowed(self, lo: float, hi: float) -> list[tuple[float, float]]:
        """The closed intervals of positive length left of the region ``(lo, hi)``."""
        parts, start = [], max(lo, self.floor)
        for p in self.pins:
            if p + self.margin <= start:
                continue
            if p - self.margin >= hi:
                break
            if p - self.margin > start:
                parts.append((start, p - self.margin))
            start = p + self.margin
        if hi > start:
            parts.append((start, hi))
        return [(a, b) for a, b in parts if b - a > _EPS]


def _options(n, m, overall, space, spread, min_width):
    """One group's possible allocations around the overall median.

    Returns a list of ``(below, at, log_weight, slots)``: how many values fall below / exactly at
    the overall median, the log probability of the allocation when each half of the group is
    sampled from Normal(m, spread), and the slots to sample. A slot ``(lo, hi, count)`` is
    ``count`` values in the region ``(lo, hi)``, or ``count`` values pinned at ``lo`` when ``hi``
    is None. Empty when the group cannot hold its own median.
    """
    pins = 2 - n % 2
    half = (n - pins) // 2
    dist = NormalDist(m, spread)

    def log_mass(lo, hi):  # -inf when the region is too narrow to use
        parts = space.allowed(lo, hi)
        if sum(b - a for a, b in parts) < max(min_width, _EPS):
            return -math.inf
        return math.log(max(sum(_mass(dist, a, b) for a, b in parts), 1e-300))

    def multinomial(*counts_and_logs):  # log probability of these counts in one half
        logw = math.lgamma(sum(c for c, _ in counts_and_logs) + 1)
        for c, lm in counts_and_logs:
            if c:
                logw += c * lm - math.lgamma(c + 1)
        return logw

    below, above = (-math.inf, m), (m, math.inf)
    if overall is None or overall == m:
        logw = multinomial((half, log_mass(*below))) + multinomial((half, log_mass(*above)))
        if logw == -math.inf:
            return []
        at = pins if overall is not None else 0
        return [(half, at, logw, [(*below, half), (m, None, pins), (*above, half)])]
    # The half on the overall median's side holds k values between m and the overall median,
    # `at` values pinned at it and the rest beyond it; the other half lies wholly on one side.
    if m < overall:
        near, beyond, other = (m, overall), (overall, math.inf), below
    else:
        near, beyond, other = (overall, m), (-math.inf, overall), above
    outer = multinomial((half, log_mass(*other)))
    lm_near, lm_beyond = log_mass(*near), log_mass(*beyond)
    lm_at = math.log(max(_mass(dist, overall - space.margin, overall + space.margin), 1e-300))
    options = []
    for at in range(min(2, half) + 1):
        for k in range(half - at + 1):
            rest = half - at - k
            logw = outer + multinomial((k, lm_near), (at, lm_at), (rest, lm_beyond))
            if logw == -math.inf:
                continue
            if m < overall:
                slots = [(*other, half), (m, None, pins), (*near, k), (overall, None, at), (*beyond, rest)]
                options.append((half + pins + k, at, logw, slots))
            else:
                slots = [(*beyond, rest), (overall, None, at), (*near, k), (m, None, pins), (*other, half)]
                options.append((rest, at, logw, slots))
    return options


def _choose(options, total, fixed, rng):
    """One allocation per group that pins the pooled median, or None if there is none.

    Dynamic programming over (values below, values at the overall median) in log weights, then a
    backward draw, so each feasible combination is chosen with probability proportional to the
    product of its groups' weights. ``fixed`` values at the overall median come from groups whose
    own median equals it; at most one (odd total) or two (even total) more are added.
    """
    lo_mid, hi_mid = (total - 1) // 2, total // 2
    cap = fixed + 2 - total % 2
    tables = [np.full((lo_mid + 1, cap + 1), -np.inf)]
    tables[0][0, 0] = 0.0
    for opts in options:
        prev, new = tables[-1], np.full_like(tables[-1], -np.inf)
        for below, at, logw, _ in opts:
            if below <= lo_mid and at <= cap:
                new[below:, at:] = np.logaddexp(
                    new[below:, at:], prev[: lo_mid + 1 - below, : cap + 1 - at] + logw
                )
        tables.append(new)
    below_idx, at_idx = np.indices(tables[-1].shape)
    final = np.where(below_idx + at_idx - 1 >= hi_mid, tables[-1], -np.inf)  # middle positions covered
    if not np.isfinite(final).any():
        return None
    a, e = np.unravel_index(_draw(rng, final.ravel()), final.shape)
    plans = []
    for opts, prev in zip(reversed(options), reversed(tables[:-1]), strict=False):
        logs = [prev[a - oa, e - oe] + w if oa <= a and oe <= e else -np.inf for oa, oe, w, _ in opts]
        oa, oe, _, slots = opts[_draw(rng, np.array(logs))]
        plans.append(slots)
        a, e = a - oa, e - oe
    return plans[::-1]


def _draw(rng, logw):
    """Index drawn with probability proportional to ``exp(logw)``."""
    p = np.exp(logw - logw.max())
    return int(rng.choice(p.size, p=p / p.sum()))


def _mass(dist, a, b):
    """``P(a < X < b)``, accurate in both tails."""
    mu = dist.mean
    if a >= mu:  # reflect right-tail intervals so the CDF values stay small and precise
        a, b = 2 * mu - b, 2 * mu - a
    return dist.cdf(b) - dist.cdf(a)


def _sample(rng, mu, sd, parts, count):
    """``count`` draws from Normal(mu, sd) truncated to the union of closed intervals ``parts``."""
    dist = NormalDist(mu, sd)
    masses = np.array([_mass(dist, a, b) for a, b in parts])
    out = np.empty(count)
    if masses.sum() <= 0:  # beyond ~37 sd: near the closest edge, exponential tail
        a, b = min(parts, key=lambda p: min(abs(p[0] - mu), abs(p[1] - mu)))
        for i in range(count):
            if math.isfinite(a) and math.isfinite(b) and b - a < sd:
                out[i] = rng.uniform(a, b)
            elif a >= mu:
                out[i] = min(a + rng.exponential(sd * sd / (a - mu)), b)
            else:
                out[i] = max(b - rng.exponential(sd * sd / (mu - b)), a)
        return out
    which = rng.choice(len(parts), size=count, p=masses / masses.sum())
    for i, j in enumerate(which):
        a, b = parts[j]
        flip = a >= mu
        ra, rb = (2 * mu - b, 2 * mu - a) if flip else (a, b)
        u = rng.uniform(dist.cdf(ra), dist.cdf(rb))
        x = dist.inv_cdf(min(max(u, 1e-300), 1 - 1e-16))
        x = 2 * mu - x if flip else x
        out[i] = min(max(x, a), b)
    return out
