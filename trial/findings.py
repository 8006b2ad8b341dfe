"""Findings: what is wrong (or worth a monitor's look) in an uploaded file, as records.

A finding names the file's own line (the header is line 1), the column, the offending value, the
rule and its severity, and carries a sentence a site coordinator can act on. Errors reject the
whole file; warnings let it load and are kept for monitors.

A file can hold millions of bad cells; what is listed is bounded by a :class:`Budget`: the first
:data:`MOST_PER_RULE` findings of each rule, :data:`MOST_IN_ALL` in all, and for the rest one
finding of rule :data:`NOT_LISTED` per rule (or column) saying how many more there are. Producers
ask the budget before they build a finding, so the rest is only ever counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

import pandas as pd

MOST_PER_RULE = 1_000
MOST_IN_ALL = 10_000
NOT_LISTED = "not_listed"  # the rule of a finding that counts the findings not listed


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    line: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity
    message: str

    @property
    def sentence(self) -> str:
        """``line 14, hair_count: -3 is below the minimum 0``"""
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return asdict(self) | {"severity": str(self.severity), "sentence": self.sentence}


def error(line, column, value, rule, message) -> Finding:
    return Finding(line, column, show(value), rule, Severity.ERROR, message)


def show(value) -> str | None:
    """A cell value as a person would write it: 12 not 12.0, 2024-03-01 not a timestamp."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:  # pandas NA
        if pd.isna(value):
            return None
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
    except (TypeError, ValueError):
        pass
    return str(value)


def sort_key(finding: Finding) -> tuple:
    return (finding.line or 0, finding.column or "", finding.rule)


def counted(found: Iterable[Finding], severity: Severity) -> int:
    """How many findings of ``severity`` there are, counting those a :data:`NOT_LISTED` finding stands for."""
    return sum(int(f.value) if f.rule == NOT_LISTED else 1 for f in found if f.severity == severity)


class Budget:
    """How many findings of one file are listed; the rest are counted.

    At most ``per_rule`` findings of each rule are kept, in the order the producers find them (line
    order), and :meth:`listing` keeps ``in_all`` of those, errors first. Producers call
    :meth:`room` (or :meth:`keep`) before building a finding, and :meth:`count` for the ones they
    only count, so that a file with millions of bad cells costs a counter, not millions of records.
    """

    def __init__(self, per_rule: int = MOST_PER_RULE, in_all: int = MOST_IN_ALL):
        self.per_rule, self.in_all = per_rule, in_all
        self._kept: Counter[str] = Counter()
        self._looked_at: Counter[str] = Counter()  # bad cells of a column explained so far
        self._rest: dict[tuple[str | None, str | None], list] = {}  # (rule, column) → [severity, count]

    def room(self, rule: str) -> int:
        """How many more findings of ``rule`` may be listed."""
        return max(self.per_rule - self._kept[rule], 0)

    def explain(self, column: str, total: int) -> int:
        """Of ``total`` more bad cells of ``column`` (in batches of rows), how many to explain; the
        rest are counted as values of the column that do not fit it."""
        shown = min(total, max(self.per_rule - self._looked_at[column], 0))
        self._looked_at[column] += shown
        self.count(None, Severity.ERROR, total - shown, column=column)
        return shown

    def merge(self, other: Budget) -> None:
        """Add what ``other`` listed and counted (a part of the file checked on a budget of its own)."""
        self._kept.update(other._kept)
        self._looked_at.update(other._looked_at)
        for (rule, column), (severity, n) in other._rest.items():
            self.count(rule, severity, n, column=column)

    def take(self, rule: str, severity: Severity, total: int) -> int:
        """Of ``total`` findings of ``rule``, how many to build (the rest are counted as not listed)."""
        shown = min(total, self.room(rule))
        self._kept[rule] += shown
        self.count(rule, severity, total - shown)
        return shown

    def keep(self, found: Iterable[Finding]) -> list[Finding]:
        """The findings that fit under their rule's cap; the others are counted."""
        kept = []
        for finding in found:
            if self._kept[finding.rule] < self.per_rule:
                self._kept[finding.rule] += 1
                kept.append(finding)
            else:
                self.count(finding.rule, finding.severity, 1)
        return kept

    def count(self, rule: str | None, severity: Severity, n: int = 1, *, column: str | None = None) -> None:
        """``n`` findings of ``rule`` not listed; or, with ``rule`` None, ``n`` values of ``column``
        that do not fit it (their rules were not worked out: that takes a look at each)."""
        if n > 0:
            self._rest.setdefault((rule, None if rule else column), [severity, 0])[1] += n

    def listing(self, found: list[Finding]) -> list[Finding]:
        """``found`` cut to ``in_all`` (errors before warnings, otherwise in their order), then one
        :data:`NOT_LISTED` finding for each rule or column that has findings not listed."""
        errors_first = sorted(range(len(found)), key=lambda i: found[i].severity != Severity.ERROR)
        shown = set(errors_first[: self.in_all])
        for i in errors_first[self.in_all :]:
            self.count(found[i].rule, found[i].severity)
        return [f for i, f in enumerate(found) if i in shown] + self._not_listed()

    def _not_listed(self) -> list[Finding]:
        out = []
        for (rule, column), (severity, n) in sorted(self._rest.items(), key=lambda item: (item[1][0] != Severity.ERROR, -item[1][1])):
            what = f"findings of the rule {rule}" if rule else f"values in the column {column} that do not fit it"
            then = "; fix the ones listed and upload the file again to see them" if severity == Severity.ERROR else ""
            out.append(Finding(None, column, str(n), NOT_LISTED, severity, f"… and {n:,} more {what} are not listed{then}"))
        return out
