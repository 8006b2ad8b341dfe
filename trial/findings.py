"""Findings: what is wrong (or worth a monitor's look) in an uploaded file, as records.

A finding names the file's own line (the header is line 1), the column, the offending value, the
rule and its severity, and carries a sentence a site coordinator can act on. Errors reject the
whole file; warnings let it load and are kept for monitors.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from enum import StrEnum

import pandas as pd


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
