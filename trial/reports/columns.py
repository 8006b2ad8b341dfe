"""Column geometry of a pack table, in EMU, for the renderers that lay out pages (DOCX and RTF):
the widths of the columns and the stops at which statistics are decimal-aligned (see ``align``)."""

from __future__ import annotations

import functools

from docx.shared import Cm, Pt

from trial.reports.align import aligned_columns, column_extent
from trial.reports.model import Row, Table

LABEL_WEIGHT = 2.0  # a table's label column is this many times as wide as a statistic column
# Rough widths of 9 pt Calibri characters, for sizing a listing's columns to their text.
WIDE, NARROW, THIN = Pt(5.4), Pt(4.5), Pt(2.6)  # capitals, digits and _; lower case and other marks; spaces
CELL_MARGIN = Cm(0.1)  # left and right inside a listing's cells
TABLE_CELL_MARGIN = Cm(0.19)  # Word's default, inside a table's cells
INDENT = Cm(0.35)  # per indent level of a row label


def column_widths(table: Table, total: int) -> list[int]:
    """The columns' widths (EMU) adding up to ``total``: a listing's fitted to its words, a table's
    label column ``LABEL_WEIGHT`` statistic columns wide and the statistics sharing the rest."""
    if table.listing:
        return _fitted_widths(table, total)
    share = int(total / (LABEL_WEIGHT + len(table.columns)))
    return [total - share * len(table.columns), *[share] * len(table.columns)]


def site_groups(rows: tuple[Row, ...]) -> list[tuple[Row, ...]]:
    """A listing's rows cut before each heading row (one group per site)."""
    cuts = [i for i, row in enumerate(rows) if row.heading and i > 0]
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)] if rows else [rows]


@functools.lru_cache(maxsize=65536)  # a listing repeats its terms, dates and codes thousands of times
def width_of(text: str) -> int:
    """About how wide ``text`` prints in the table text style (EMU)."""
    return sum(WIDE if ch.isupper() or ch.isdigit() or ch == "_" else THIN if ch.isspace() else NARROW for ch in text)


def _fitted_widths(table: Table, total: int) -> list[int]:
    """Column widths (EMU) for a listing: each column gets at least its longest word, so no word is
    cut, and the width left over goes to the columns whose typical (90th percentile) text is longer."""
    body = [(row.label, *row.cells) for row in table.rows if not row.heading]
    least, extra = [], []
    for index, heading in enumerate(table.headings):
        cells = [record[index] for record in body]
        longest_word = max((width_of(word) for text in (heading, *cells) for word in text.split()), default=0)
        lengths = sorted(width_of(cell) for cell in cells) or [0]
        typical = lengths[int(0.9 * (len(lengths) - 1))]
        inside = 2 * CELL_MARGIN + Pt(4) + (INDENT if index == 0 else 0)  # the label column's rows are indented
        least.append(longest_word + inside)
        extra.append(max(typical - longest_word, 0))
    room = total - sum(least)
    if room <= 0:  # not even the longest words fit: shrink every column alike
        widths = [w * total / sum(least) for w in least]
    elif sum(extra):
        widths = [w + room * e / sum(extra) for w, e in zip(least, extra, strict=True)]
    else:
        widths = [w + room / len(least) for w in least]
    whole = [int(w) for w in widths]
    whole[0] += total - sum(whole)  # whole EMUs adding up to the text width
    return whole


def decimal_stops(table: Table, widths: list[int]) -> list[int | None]:
    """For each statistic column, the EMUs from its text's left edge at which the whole parts of its
    numbers end (the block of whole parts and rests centred in the cell), or None if not aligned."""
    margin = CELL_MARGIN if table.listing else TABLE_CELL_MARGIN
    tabs: list[int | None] = []
    for index, (aligned, width) in enumerate(zip(aligned_columns(table), widths[1:], strict=True)):
        if not aligned:
            tabs.append(None)
            continue
        whole, rest = column_extent((row.cells[index] for row in table.rows), width_of)
        room = width - 2 * margin
        tabs.append(int(max((room - whole - rest) / 2, 0) + whole))
    return tabs


