"""Calibrate sampled integer values so that a published mean or percent change comes out exactly.

A synthetic scenario samples per-subject values at random and then adjusts them as little as
possible so that the statistic printed in a paper (a mean, a median, a percent change) is
reproduced at the paper's printed precision, under any seed. This module holds the arithmetic of
integer counts: the totals whose mean rounds to a printed mean (:func:`feasible_total`), the
smallest shift of integer values onto such a total (:func:`shift_to_mean`) and a pair of counts
with a printed percent change (:func:`counts_for_percent_change`); values with exact medians are
made in :mod:`synthetic_data.calibrate_medians`. "Rounds to" always means Python's ``round``
applied to the float statistic, with a margin so that nothing sits on a half-way point.

All functions are pure: they take a ``numpy.random.Generator`` for every random choice and never
touch global state.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "counts_for_percent_change",
    "feasible_total",
    "shift_to_mean",
]

EPS = 1e-12  # distance kept from a rounding half-way point; calibrate_medians: the shortest region that counts


def _rounds_to(value: float, target: float, decimals: int) -> bool:
    """Whether ``value`` rounds to ``target`` (already rounded), away from half-way points."""
    half = 0.5 * 10.0**-decimals
    return round(value, decimals) == target and abs(value - target) < half - EPS


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
