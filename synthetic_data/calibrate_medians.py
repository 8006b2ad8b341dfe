"""Calibrate sampled values so that published medians come out exactly.

This module holds :func:`values_with_medians`, which samples values for disjoint groups (the
subgroups of a paper's table) whose group medians and pooled median are exactly the published
ones, each other value kept a margin away from every pinned value so that later small moves change
no median; :func:`pinned`, which finds the pinned values again; and their private helpers (the
allowed regions, the allocations around the pooled median and the draw among them, truncated
normal sampling). Means and percent changes of integer counts are calibrated in
:mod:`synthetic_data.calibrate_counts`. All functions are pure: they take a
``numpy.random.Generator`` for every random choice and never touch global state.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from synthetic_data.calibrate_counts import EPS

__all__ = [
    "pinned",
    "values_with_medians",
]

_GAP = 1e-9  # extra distance kept from a pinned value, against float noise


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
    _check_arguments(groups, overall_median, spread, floor, margin)
    targets = [m for _, m in groups.values()] + ([overall_median] if overall_median is not None else [])
    space = _Space(sorted(set(targets)), floor, margin + _GAP)
    plans = _allocate(groups, overall_median, space, spread, margin, rng)
    if plans is None:
        medians = {name: m for name, (_, m) in groups.items()}
        sizes = {name: n for name, (n, _) in groups.items()}
        raise ValueError(
            f"no values can have group medians {medians} and pooled median {overall_median} "
            f"with sizes {sizes} (margin {margin}, floor {floor})"
        )
    return _sample_groups(groups, plans, space, spread, rng)


def _check_arguments(groups, overall_median, spread, floor, margin):
    """Raise ``ValueError`` for arguments :func:`values_with_medians` cannot take."""
    if not groups:
        raise ValueError("need at least one group")
    if spread <= 0 or margin < 0:
        raise ValueError(f"need spread > 0 and margin >= 0, got {spread}, {margin}")
    for name, (n, m) in groups.items():
        if n < 1 or not math.isfinite(m) or m <= floor:
            raise ValueError(f"group {name!r}: need size >= 1 and a finite median above {floor}")
    if overall_median is not None and not (math.isfinite(overall_median) and overall_median > floor):
        raise ValueError(f"overall median must be finite and above {floor}")


def _allocate(groups, overall_median, space, spread, margin, rng):
    """Each group's slots (see :func:`_options`), one allocation per group that gives every median,
    or None if there is none. Allocations whose regions are all at least ``2 * margin`` wide are
    tried first; cramped ones only when those fail."""
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
    return plans


def _sample_groups(groups, plans, space, spread, rng):
    """Each group's values from its slots, in random order: a pinned slot repeats its value, the
    others are drawn from Normal(the group's target, spread) truncated to their region."""
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
        return [(a, b) for a, b in parts if b - a > EPS]


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
        if sum(b - a for a, b in parts) < max(min_width, EPS):
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
