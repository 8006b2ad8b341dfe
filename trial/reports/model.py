"""A table of the pack as data: what every renderer (CSV, HTML, DOCX) draws.

Cells are already formatted text (``12 (24.0)``, ``91.4 (25.3)``, ``<0.001``); a renderer only
lays them out. ``PackInfo`` carries what every page states: the study, the data cut and the lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    label: str  # e.g. "Minoxidil 5 % + microneedling"
    n: int | None = None  # the population count shown as (N=50) under the label

    @property
    def heading(self) -> str:
        return self.label if self.n is None else f"{self.label} (N={self.n})"


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str, ...]
    indent: int = 0  # 0 for a group heading or a top-level row, 1 and more for rows under it
    heading: bool = False  # a section heading row (its cells are empty)


def keeps_with_next(rows, *, listing: bool = False) -> list[bool]:
    """For each body row, whether a page may not fall between it and the next: a heading and a row
    with rows under it keep with the first of them, and the rows under a row (indent 2 and more,
    e.g. a visit's statistics) keep together, so a block such as "Week 12: n, value, change, % change"
    never starts at the foot of one page and ends at the head of the next. A listing's rows are
    records, each whole on its own: only its headings (a site) keep with the first record."""
    if listing:
        return [row.heading for row in rows]
    keep = [row.heading or after.indent > row.indent or (after.indent >= 2 and row.indent >= 2)
            for row, after in zip(rows, rows[1:])]
    return [*keep, rows[-1].heading] if rows else []  # the last row keeps with the notes only when a heading


@dataclass(frozen=True)
class Table:
    id: str  # ICH E3 number, e.g. "14.2.1"
    title: str
    population: str  # e.g. "Intent-to-treat population"
    stub: str  # the heading of the label column, e.g. "Statistic"
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = ()
    listing: bool = False  # records, not statistics: columns sized to their content; in Word each site on its own page
    source: str = ""  # the program that laid it out (module.function), printed in the page footer

    @property
    def caption(self) -> str:
        """``Table 14.2.1`` or ``Listing 16.2.7``: how the pack names it."""
        return f"{'Listing' if self.listing else 'Table'} {self.id}"

    @property
    def headings(self) -> list[str]:
        return [self.stub, *(c.heading for c in self.columns)]


@dataclass(frozen=True)
class PackInfo:
    study_id: str
    study_title: str
    data_cut: str  # ISO date: the latest date in the study data (trial.analysis.datasets.data_cut)
    data_version: int
    lock_state: str  # "UNLOCKED" until database lock exists (issue 6)
    generated_at: str
    tables: tuple[str, ...] = field(default_factory=tuple)
    locked_at: str | None = None  # when the database was locked, while it is
    sponsor: str = ""
    program: str = ""  # the software that wrote the pack, e.g. "trial 0.1.0"

    @property
    def draft(self) -> bool:
        """The numbers are a draft until the database is locked."""
        return self.lock_state != "LOCKED"

    @property
    def status(self) -> str:
        """What every page's header says of the numbers."""
        return "DRAFT · database not locked" if self.draft else f"Final · database locked {self.locked_at}"

    @property
    def heading(self) -> str:
        """The header's first line: sponsor, study id and title."""
        return " · ".join(part for part in (self.sponsor, f"{self.study_id}  {self.study_title}") if part)

    @property
    def cut_line(self) -> str:
        return f"Data cut {self.data_cut} (version {self.data_version})"

    def run_line(self, source: str) -> str:
        """The footer's words: the program that laid the page out, the software, and when it ran."""
        program = f"Program: {source}" + (f" ({self.program})" if self.program else "") if source else (self.program or "")
        return f"{program} · run {self.generated_at}" if program else f"Run {self.generated_at}"

    @property
    def stamp(self) -> str:
        """The line every table carries at its foot."""
        return f"{self.study_id} · data cut {self.data_cut} (version {self.data_version}) · {self.status}"
