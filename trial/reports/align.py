"""Decimal alignment of a table's statistics, one rule for every renderer (DOCX, RTF, HTML).

A statistic cell is cut after the whole-number part of its first number: ``91.4 (25.3)`` into
``91`` and ``.4 (25.3)``, ``12 (24.0)`` into ``12`` and `` (24.0)``, ``<0.001`` into ``<0`` and
``.001``. Within a column the first parts are right-aligned on one line and the rest follow it, so
the units digit of every first number (and with it the decimal point) sits in one vertical line,
whatever the statistic: n, mean (SD), median (min, max), n (%), p-values. A cell with no number
(``–``, ``Not estimable``) is centred. Each renderer places the line in its own units: Word and
RTF with a right tab stop followed by a left one, HTML with two inline blocks.
"""

from __future__ import annotations

import re

from trial.reports.model import Table

_FIRST_WHOLE = re.compile(r"^[<>≤≥+\-−]?\d+")


def split(text: str) -> tuple[str, str] | None:
    """``(whole part, rest)`` of a statistic cell, or None for a cell to centre."""
    found = _FIRST_WHOLE.match(text.strip())
    if not found:
        return None
    text = text.strip()
    return text[: found.end()], text[found.end():]


def is_text_column(table: Table, index: int) -> bool:
    """A column of words (a listing's terms) is left-aligned; one of statistics is aligned on its numbers."""
    cells = [row.cells[index] for row in table.rows if not row.heading and row.cells[index].strip()]
    return sum(any(ch.isalpha() for ch in cell) for cell in cells) * 2 > len(cells)


def aligned_columns(table: Table) -> list[bool]:
    """For each statistic column (label column excluded): whether its cells are decimal-aligned.
    A listing's columns are records, not statistics: never aligned."""
    return [not table.listing and not is_text_column(table, i) for i in range(len(table.columns))]


def column_extent(cells, measure) -> tuple[float, float]:
    """The widest whole part and the widest rest of ``cells``, in ``measure``'s units."""
    parts = [p for p in map(split, cells) if p]
    return (max((measure(a) for a, _ in parts), default=0), max((measure(b) for _, b in parts), default=0))
