"""Table layouts: each turns the ARD into a ``Table`` (rows of formatted cells). A layout is data
applied to the ARD; it reads statistics and formats them, and never computes one."""

from __future__ import annotations

from trial.reports.formats import fmt_count_pct, fmt_int, fmt_mean_sd, fmt_median_range
from trial.reports.model import Column, Row
from trial.reports.view import ArdView, big_n

POPULATIONS = {"ITT": "Intent-to-treat population (all randomized subjects)", "SAF": "Safety population (randomized and treated)"}
TOTAL = "TOTAL"


def arm_columns(study, ard, population: str, *, total: bool = True) -> tuple[list[str], tuple[Column, ...]]:
    """The groups of a table (arms, then Total when asked) and their column headings with N."""
    counts = big_n(ard, population)
    groups = [*study.arm_codes, *([TOTAL] if total and len(study.arms) > 1 else [])]
    labels = {a.code: a.label for a in study.arms} | {TOTAL: "Total"}
    return groups, tuple(Column(labels[g], counts.get(g, 0)) for g in groups)


def descriptive_rows(view: ArdView, param: str, groups: list[str], *, indent: int = 1, digits: int = 1, **where) -> list[Row]:
    """n; Mean (SD); Median (Min, Max) of one parameter across the groups. ``digits``: the mean's and
    median's decimals, one more than the values were collected with; the SD has one more, the minimum
    and maximum are shown as collected (one fewer)."""
    def cells(render):
        return tuple(render(g) for g in groups)

    def get(stat, g):
        return view.get(param, stat, group=g, **where)

    return [
        Row("n", cells(lambda g: fmt_int(get("n", g))), indent),
        Row("Mean (SD)", cells(lambda g: fmt_mean_sd(get("mean", g), get("sd", g), digits)), indent),
        Row("Median (Min, Max)", cells(lambda g: fmt_median_range(get("median", g), get("min", g), get("max", g), digits, max(digits - 1, 0))), indent),
    ]


def count_rows(view: ArdView, param: str, groups: list[str], categories: list[tuple[str, str]], *, indent: int = 1, **where) -> list[Row]:
    """One ``n (%)`` row per (label, category)."""
    return [
        Row(label, tuple(fmt_count_pct(view.get(param, "count", group=g, method="COUNT", category=c, **where),
                                        view.get(param, "pct", group=g, method="COUNT", category=c, **where)) for g in groups), indent)
        for label, c in categories
    ]


def heading(label: str, width: int) -> Row:
    return Row(label, ("",) * width, 0, heading=True)
