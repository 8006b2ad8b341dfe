"""Formatting of ARD statistics into table cells: one way for every table of the pack."""

from __future__ import annotations

import math
import re

from trial.study import code_words


def fmt_num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:.{digits}f}"
    # a value that rounds to zero reads 0.0, whichever side of zero it came from (no "-0.0")
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def fmt_int(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{int(round(value))}"


def fmt_count_pct(count: float | None, pct: float | None) -> str:
    """``12 (24.0)``; a zero count is shown as ``0``."""
    if count is None:
        return "–"
    if count == 0 or pct is None or math.isnan(pct):
        return fmt_int(count)
    return f"{fmt_int(count)} ({pct:.1f})"


def fmt_mean_sd(mean: float | None, sd: float | None, digits: int = 1) -> str:
    return f"{fmt_num(mean, digits)} ({fmt_num(sd, digits + 1)})"


def fmt_median_range(median: float | None, low: float | None, high: float | None, digits: int = 1, range_digits: int | None = None) -> str:
    """``30.0 (20, 39)``: the median at ``digits``, the bounds at ``range_digits`` (default the same)."""
    bounds = digits if range_digits is None else range_digits
    return f"{fmt_num(median, digits)} ({fmt_num(low, bounds)}, {fmt_num(high, bounds)})"


def fmt_ci(estimate: float | None, lower: float | None, upper: float | None, digits: int = 1) -> str:
    """``69.3 (61.0, 77.5)``: an estimate and its 95 % confidence interval."""
    return f"{fmt_num(estimate, digits)} ({fmt_num(lower, digits)}, {fmt_num(upper, digits)})"


def fmt_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def in_order(values, order) -> list:
    """``values`` in the order of ``order`` (the protocol's visits, say); values not in it follow, as they came."""
    place = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: place.get(v, len(place)))


def visit_label(code: str) -> str:
    """WEEK_12 → Week 12, MONTH_6 → Month 6, BASELINE → Baseline."""
    return code_words(code)


NO_BREAK_SPACE = "\u00a0"
_NUMBER_AND_UNIT = re.compile(r"(?<=\d) (?=%|mm\b|mg\b)")


def unbroken(text: str) -> str:
    """``text`` with each number bound to its unit by a no-break space ("5 %", "1.5 mm"), so that a
    heading that wraps never leaves the unit alone at the start of a line."""
    return _NUMBER_AND_UNIT.sub(NO_BREAK_SPACE, text)
