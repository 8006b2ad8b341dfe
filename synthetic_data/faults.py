"""The faults dirty mode injects and the manifest that lists them.

This module holds what a fault is: the outcomes a manifest record expects (``error``, ``warning``,
``accepted``), each kind of fault with the rule and column the system reports it under
(:data:`FAULT_KINDS`, split into :data:`LINE_KINDS` and :data:`FILE_KINDS`), one manifest record
(:class:`Fault`), and the manifest's CSV file (:func:`write_manifest`, :func:`read_manifest`).
:mod:`synthetic_data.dirty` injects the faults and makes the records.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

ERROR, WARNING, ACCEPTED = "error", "warning", "accepted"
CHANGED_CELL = "(the changed cell)"
LAST_KEY = "(the domain's last key column)"
STRAY_COLUMN = "notes"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("file", "line", "column", "kind", "rule", "expected", "value")


@dataclass(frozen=True)
class FaultKind:
    """A kind of fault, the rule and column the system reports it under (``column`` may name the
    cell the fault changed, or the domain's last key column), and other findings it always brings."""

    name: str
    rule: str | None
    column: str | None
    expected: str
    scope: str  # "line" (one data line) or "file" (rejects the whole file)
    description: str
    also: tuple[tuple[str, str | None], ...] = ()


FAULT_KINDS: dict[str, FaultKind] = {
    k.name: k
    for k in (
        FaultKind("ambiguous_date", "ambiguous_date", CHANGED_CELL, ERROR, "line",
                  "a date written day/month or month/day: 2024-03-04 → 03/04/2024"),
        FaultKind("swapped_day_month", "invalid_date", CHANGED_CELL, ERROR, "line",
                  "day and month swapped in a date whose day is above 12: 2024-03-25 → 2024-25-03"),
        FaultKind("negative_count", "below_minimum", CHANGED_CELL, ERROR, "line",
                  "a count with a minus sign (161 → -161), where the minimum is above it"),
        FaultKind("extracted_over_grasped", "extracted_within_grasped", "hairs_extracted", ERROR, "line",
                  "a pull test with more hairs extracted than grasped"),
        FaultKind("unknown_subject", "subject_exists", "subject_id", ERROR, "line",
                  "a subject id no subjects row has"),
        FaultKind("visit_before_randomization", "assessment_before_randomization", "assessment_date", ERROR, "line",
                  "a non-baseline assessment dated 1–14 days before the subject's randomization"),
        FaultKind("duplicate_key", "duplicate_key", LAST_KEY, ERROR, "line",
                  "a data line repeated right after itself (reported on the copy)"),
        FaultKind("spreadsheet_error", "spreadsheet_error", CHANGED_CELL, ERROR, "line",
                  "Excel's #N/A in a value cell"),
        FaultKind("trailing_spaces", None, CHANGED_CELL, ACCEPTED, "line", "spaces after a value"),
        FaultKind("lower_case_code", None, CHANGED_CELL, ACCEPTED, "line", "a code in lower case (week_4, mild)"),
        FaultKind("stray_column", "unknown_column", STRAY_COLUMN, ERROR, "file",
                  "an extra 'notes' column with values; the header then fits no domain, hence domain_unknown too",
                  also=(("domain_unknown", None),)),
        FaultKind("wrong_encoding", "encoding", None, ERROR, "file",
                  "a text cell (evaluator_id, AE term) saved as Latin-1, reported on its line without a column"),
    )
}
LINE_KINDS = tuple(k for k, v in FAULT_KINDS.items() if v.scope == "line")
FILE_KINDS = tuple(k for k, v in FAULT_KINDS.items() if v.scope == "file")


@dataclass(frozen=True)
class Fault:
    """One record of the manifest: a finding the system must produce (or, when ``expected`` is
    "accepted", a change it must accept silently)."""

    file: str
    line: int
    column: str | None
    kind: str
    rule: str | None
    expected: str
    value: str


def write_manifest(faults: list[Fault], path: Path) -> Path:
    """Write the manifest as CSV to ``path`` (``path/manifest.csv`` when it is a folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(MANIFEST_COLUMNS)
        for f in faults:
            writer.writerow([f.file, f.line, f.column or "", f.kind, f.rule or "", f.expected, f.value])
    return path


def read_manifest(path: Path) -> list[Fault]:
    """The manifest written by :func:`write_manifest`."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Fault(r["file"], int(r["line"]), r["column"] or None, r["kind"], r["rule"] or None, r["expected"], r["value"])
        for r in rows
    ]
