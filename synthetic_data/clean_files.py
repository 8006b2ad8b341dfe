"""The clean files as dirty mode reads them, and how it writes a changed line back.

This module holds a file's records with the physical lines each spans, counted as the csv module
counts them (:func:`read_records`, :func:`physical_lines`), a clean table's rows
(:func:`read_table`), a header name normalised as the system matches it (:func:`normalise`), a
data line written back as CSV (:func:`format_cells`, :func:`before_ending`), and what the faults
need to know of the study beyond one line (:class:`SourceStudy`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from trial.study import load_study


# --------------------------------------------------------------------------- reading a file
@dataclass
class Record:
    raw: str  # as in the file, line endings included
    cells: list[str]


def physical_lines(text: str) -> list[str]:
    """Lines as csv's reader counts them (\\r\\n, \\r or \\n end one), endings kept."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def read_records(text: str) -> list[Record]:
    lines = physical_lines(text)
    reader = csv.reader(lines)
    out, start = [], 0
    for cells in reader:
        out.append(Record("".join(lines[start : reader.line_num]), cells))
        start = reader.line_num
    return out


def normalise(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


def read_table(path: Path) -> list[dict[str, str]]:
    """A clean file's rows as {column: trimmed value}; empty when the file is absent."""
    if not path.exists():
        return []
    rows = [r.cells for r in read_records(path.read_text(encoding="utf-8"))]
    if not rows:
        return []
    names = [normalise(n) for n in rows[0]]
    return [dict(zip(names, (c.strip() for c in row), strict=False)) for row in rows[1:] if row]


def format_cells(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def before_ending(raw: str, extra: str) -> str:
    body = raw.rstrip("\r\n")
    return body + extra + raw[len(body) :]


# --------------------------------------------------------------------------- the study around the files
class SourceStudy:
    """What the faults need to know beyond one line: subjects, randomization dates, baseline visits."""

    def __init__(self, source: Path):
        study_file = source / "study.toml"
        study = load_study(study_file if study_file.exists() else None)
        self.baseline_visits = {v.code for v in study.visits if v.baseline}
        self.windows = {v.code: (v.earliest_day, v.latest_day) for v in study.visits}
        self.lead_days = study.study.baseline_lead_days
        self.subjects = {r.get("subject_id", "").upper() for r in read_table(source / "subjects.csv")}
        self.randomized = {}
        for row in read_table(source / "randomization.csv"):
            try:
                self.randomized[row["subject_id"].upper()] = dt.date.fromisoformat(row["randomization_date"])
            except (KeyError, ValueError):
                continue

    def unknown_subject(self, like: str) -> str:
        """A subject id shaped like ``like`` (S01-001 → S01-999) that no subject has."""
        prefix, _, number = like.rpartition("-")
        if prefix and number.isdigit():
            width = len(number)
            candidates = (f"{prefix}-{n:0{width}d}" for n in range(10**width - 1, 0, -1))
        else:
            candidates = (f"{like}X{n}" for n in range(1, 10**6))
        for candidate in candidates:
            if candidate.upper() not in self.subjects:
                self.subjects.add(candidate.upper())
                return candidate
        raise ValueError(f"no unused subject id is left next to {like}")
