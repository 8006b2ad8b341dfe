"""Dirty mode: copies of a scenario's CSV files with realistic faults, and a manifest saying where
the system must report each one.

``inject_faults(source, target, rate, rng)`` reads the domain files a generator wrote to ``source``
and writes dirty copies to ``target``. Each data line of the six assessment-side files gets a fault
with probability ``rate`` (at most one per line); each such file may instead get one file-level
fault (a stray column or a Latin-1 byte), which rejects the whole file and so is injected alone.
``subjects.csv`` and ``randomization.csv`` stay clean: a rejected subjects file would make every
later file fail for reasons the manifest cannot name.

The manifest holds one record per finding a fault must produce (file, the file's own line, column,
fault kind, rule, expected severity, the value written); accepted faults (trailing spaces,
lower-case codes) have a record with ``expected = "accepted"`` and must produce no finding. Faults
are placed where no other rule can fire as a side effect, or the side effect is recorded too (a
negative hair count also breaks terminal + vellus ≤ hair count). So the manifest is exact: every
``error`` record has its finding, and every finding of a load has its record.

The expectations assume files are loaded as ``trial load`` and ``trial demo`` load them: into a
fresh database of the same study, the domain told from each file's header. Keep the manifest
out of the folder that is uploaded (``trial synth --dirty`` writes it to ``manifest/faults.csv``).

The fault kinds and the manifest are in :mod:`synthetic_data.faults`; reading the clean files and
writing a changed line back in :mod:`synthetic_data.clean_files`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from schemas import DOMAINS, Domain, KIND_CODE, KIND_DATE, KIND_INT, KIND_TEXT
from synthetic_data.clean_files import (
    SourceStudy,
    before_ending,
    format_cells,
    normalise,
    physical_lines,
    read_records,
)
from synthetic_data.faults import (
    CHANGED_CELL,
    ERROR,
    FAULT_KINDS,
    FILE_KINDS,
    LAST_KEY,
    LINE_KINDS,
    STRAY_COLUMN,
    WARNING,
    Fault,
)

CLEAN_DOMAINS = ("subjects", "randomization")
DIRTY_DOMAINS = tuple(d for d in DOMAINS if d not in CLEAN_DOMAINS)
FILE_FAULT_FACTOR, FILE_FAULT_CAP = 5, 0.25


# A negative value here also breaks a cross-column rule when the other cell is filled:
# (rule, column it is reported under, cells whose filling triggers it).
_KNOCK_ON = {
    ("hair_counts", "hair_count"): ("parts_within_total", "terminal_count", ("terminal_count", "vellus_count")),
    ("pull_tests", "hairs_grasped"): ("extracted_within_grasped", "hairs_extracted", ("hairs_extracted",)),
}
_IDENTIFIERS = ("site_id", "subject_id")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"\+?\d{1,18}")
_NOTES = ("", "", "", "re-measured", "see source document", "checked by monitor", "photo retaken")
_LATIN1_WORDS = {
    "evaluator_id": ("José", "Müller", "Gómez", "Françoise", "Søren"),
    "term": ("prurit léger", "rougeur après séance", "céphalée", "Kopfhautrötung", "irritación leve"),
}
_LATIN1_DEFAULT = ("José", "Müller", "Gómez")
_PLACEHOLDER = "\ue000"  # a private-use character no clean file holds


# --------------------------------------------------------------------------- one data line
@dataclass
class _Line:
    domain: Domain
    cells: list[str]
    positions: dict[str, int]  # domain column → position in the file

    def value(self, name: str) -> str:
        position = self.positions.get(name)
        return self.cells[position].strip() if position is not None and position < len(self.cells) else ""

    def columns(self, *kinds: str) -> list[str]:
        return [c.name for c in self.domain.columns if c.name in self.positions and (not kinds or c.kind in kinds)]


def _minimum(domain: Domain, name: str):
    for check in domain.model.to_schema().columns[name].checks:
        if "min_value" in (check.statistics or {}):
            return check.statistics["min_value"]
    return None


def _candidates(kind: str, line: _Line, study: SourceStudy) -> list[str]:
    """The columns whose cell ``kind`` can change on this line without another rule firing."""
    name = line.domain.name
    if kind in ("ambiguous_date", "swapped_day_month"):
        dates = [c for c in line.columns(KIND_DATE) if _ISO_DATE.fullmatch(line.value(c))]
        if kind == "swapped_day_month":  # only a day above 12 makes the swapped date impossible
            dates = [c for c in dates if int(line.value(c)[8:]) > 12]
        else:  # 03/04/2024 is ambiguous; 28/12/2016 is not (the system then says which date to write)
            dates = [c for c in dates if int(line.value(c)[8:]) <= 12]
        return dates
    if kind == "negative_count":
        whole = [c for c in line.columns(KIND_INT) if _WHOLE.fullmatch(line.value(c)) and int(line.value(c)) > 0]
        return [c for c in whole if (low := _minimum(line.domain, c)) is not None and -int(line.value(c)) < low]
    if kind == "extracted_over_grasped":
        ok = "hairs_extracted" in line.positions and _WHOLE.fullmatch(line.value("hairs_grasped"))
        return ["hairs_extracted"] if ok else []
    if kind == "unknown_subject":
        return ["subject_id"] if line.value("subject_id") else []
    if kind == "visit_before_randomization":
        ok = (
            {"visit", "assessment_date"} <= set(line.positions)
            and line.value("visit") != ""
            and line.value("visit").upper() not in study.baseline_visits
            and line.value("subject_id").upper() in study.randomized
        )
        return ["assessment_date"] if ok else []
    if kind == "duplicate_key":
        key = line.domain.key
        return [key[-1]] if all(line.value(k) for k in key) else []
    if kind == "spreadsheet_error":
        return [c for c in line.columns() if c not in _IDENTIFIERS]
    if kind == "trailing_spaces":
        return [c for c in line.columns() if line.value(c)]
    if kind == "lower_case_code":
        return [c for c in line.columns(KIND_CODE) if line.value(c) != line.value(c).lower()]
    raise ValueError(f"{kind} is not a fault kind of a data line (in {name})")


def _new_value(kind: str, line: _Line, column: str, study: SourceStudy, rng: np.random.Generator) -> str:
    raw = line.cells[line.positions[column]]
    value = raw.strip()
    if kind == "ambiguous_date":
        year, month, day = value.split("-")
        return f"{month}/{day}/{year}" if rng.integers(2) == 0 else f"{day}/{month}/{year}"
    if kind == "swapped_day_month":
        year, month, day = value.split("-")
        return f"{year}-{day}-{month}"
    if kind == "negative_count":
        return "-" + value.lstrip("+")
    if kind == "extracted_over_grasped":
        return str(int(line.value("hairs_grasped")) + int(rng.integers(1, 11)))
    if kind == "unknown_subject":
        return study.unknown_subject(value)
    if kind == "visit_before_randomization":
        randomized = study.randomized[line.value("subject_id").upper()]
        return (randomized - dt.timedelta(days=int(rng.integers(1, 15)))).isoformat()
    if kind == "duplicate_key":
        return raw
    if kind == "spreadsheet_error":
        return "#N/A"
    if kind == "trailing_spaces":
        return raw + " " * int(rng.integers(1, 4))
    if kind == "lower_case_code":
        return raw.lower()
    raise ValueError(f"{kind} is not a fault kind of a data line")


def _expected(kind: str, line: _Line, column: str, value: str) -> list[tuple]:
    """(kind, rule, column, expected, value) for every finding the fault must bring."""
    spec = FAULT_KINDS[kind]
    reported = {CHANGED_CELL: column, LAST_KEY: line.domain.key[-1]}.get(spec.column, spec.column)
    out = [(kind, spec.rule, reported, spec.expected, value)]
    knock_on = _KNOCK_ON.get((line.domain.name, column))
    if kind == "negative_count" and knock_on and any(line.value(c) for c in knock_on[2]):
        out.append((kind, knock_on[0], knock_on[1], ERROR, value))
    return out


# --------------------------------------------------------------------------- one file
def _dirty_file(domain: Domain, data: bytes, rate: float, rng: np.random.Generator, study: SourceStudy):
    """The dirty bytes of one domain file and its manifest records."""
    records = read_records(data.decode("utf-8"))
    if not records:
        return data, []
    positions = {}
    for i, name in enumerate(records[0].cells):
        if normalise(name) in domain.column_names:
            positions.setdefault(normalise(name), i)
    rows = [i for i, r in enumerate(records) if i > 0 and any(c.strip() for c in r.cells)]
    # Each chunk: (text, pending records, Latin-1 cell or None); lines are numbered once all are placed.
    chunks: list[list] = [[r.raw, [], None] for r in records]

    has_text = any(c.kind == KIND_TEXT and c.name in positions for c in domain.columns)
    file_kinds = [k for k in FILE_KINDS if k != "wrong_encoding" or has_text]
    if rows and rng.random() < min(rate * FILE_FAULT_FACTOR, FILE_FAULT_CAP):
        kind = file_kinds[int(rng.integers(len(file_kinds)))]
        if kind == "stray_column":
            chunks[0][0] = before_ending(records[0].raw, f",{STRAY_COLUMN}")
            for i, record in enumerate(records[1:], start=1):
                if record.cells:
                    chunks[i][0] = before_ending(record.raw, "," + _NOTES[int(rng.integers(len(_NOTES)))])
            chunks[0][1] = [(kind, "unknown_column", STRAY_COLUMN, ERROR, STRAY_COLUMN)]
            chunks[0][1] += [(kind, rule, column, ERROR, "") for rule, column in FAULT_KINDS[kind].also]
        else:
            i = rows[int(rng.integers(len(rows)))]
            line = _Line(domain, list(records[i].cells), positions)
            texts = line.columns(KIND_TEXT)
            column = texts[int(rng.integers(len(texts)))]
            words = _LATIN1_WORDS.get(column, _LATIN1_DEFAULT)
            word = words[int(rng.integers(len(words)))]
            line.cells[positions[column]] = _PLACEHOLDER  # swapped for the Latin-1 bytes when encoding
            chunks[i] = [format_cells(line.cells), [(kind, "encoding", None, ERROR, word)], word]
        return _assemble(domain, chunks)

    copies: dict[int, list] = {}  # record index → the copy inserted after it, with its records
    for i in rows:
        if not rng.random() < rate:
            continue
        line = _Line(domain, list(records[i].cells), positions)
        options = {k: c for k in LINE_KINDS if (c := _candidates(k, line, study))}
        if not options:  # only cells of columns the domain does not have
            continue
        kind = list(options)[int(rng.integers(len(options)))]
        column = options[kind][int(rng.integers(len(options[kind])))]
        value = _new_value(kind, line, column, study, rng)
        if kind == "duplicate_key":  # the finding belongs to the copy, one line further down
            copies[i] = [records[i].raw, _expected(kind, line, column, value.strip()), None]
        else:
            line.cells[positions[column]] = value
            chunks[i] = [format_cells(line.cells), _expected(kind, line, column, value), None]
    placed = []
    for i, chunk in enumerate(chunks):
        placed += [chunk, copies[i]] if i in copies else [chunk]
    return _assemble(domain, placed)


def _assemble(domain: Domain, chunks) -> tuple[bytes, list[Fault]]:
    out: list[bytes] = []
    faults: list[Fault] = []
    line = 1
    for text, pending, latin1 in chunks:
        if out and not out[-1].endswith((b"\n", b"\r")):
            out[-1] += b"\n"  # a copy follows a last line that had no line break
        encoded = text.encode("utf-8")
        if latin1 is not None:
            encoded = encoded.replace(_PLACEHOLDER.encode("utf-8"), latin1.encode("latin-1"))
        for kind, rule, column, expected, value in pending:
            faults.append(Fault(f"{domain.name}.csv", line, column, kind, rule, expected, value))
        out.append(encoded)
        line += len(physical_lines(text))
    data = b"".join(out)
    if any(f.kind == "wrong_encoding" for f in faults):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:  # the line of the first bad byte, as the reader counts it
            bad_line = data.count(b"\n", 0, exc.start) + 1
            faults = [replace(f, line=bad_line) for f in faults]
        else:
            raise AssertionError("a Latin-1 word was written as valid UTF-8")
    return data, faults


# --------------------------------------------------------------------------- deviations already there
def _window_warnings(domain: Domain, data: bytes, study: SourceStudy, faults: list[Fault]) -> list[Fault]:
    """Visits the clean data already dates outside their window (generators put some there, as
    sites do): the system warns about each, so the manifest lists them, as kind
    ``visit_outside_window``. A cell a fault changed is reported for that fault instead."""
    if "assessment_date" not in domain.column_names:
        return []
    records = read_records(data.decode("utf-8"))
    if not records:
        return []
    names = [normalise(n) for n in records[0].cells]
    taken = {(f.line, f.column) for f in faults if f.expected == ERROR}
    found, line = [], 1 + len(physical_lines(records[0].raw))
    for record in records[1:]:
        row = dict(zip(names, (c.strip() for c in record.cells), strict=False))
        here, line = line, line + len(physical_lines(record.raw))
        randomized = study.randomized.get(row.get("subject_id", "").upper())
        window = study.windows.get(row.get("visit", "").upper())
        if randomized is None or window is None or (here, "assessment_date") in taken:
            continue
        try:
            day = (dt.date.fromisoformat(row.get("assessment_date", "")) - randomized).days
        except ValueError:
            continue
        if not window[0] <= day <= window[1] and day >= -study.lead_days:
            found.append(Fault(f"{domain.name}.csv", here, "assessment_date", "visit_outside_window", "visit_window", WARNING, row["assessment_date"]))
    return found


# --------------------------------------------------------------------------- the folder
def inject_faults(source: Path, target: Path, rate: float, rng: np.random.Generator) -> list[Fault]:
    """Write dirty copies of ``source``'s domain files to ``target``; return the manifest.

    ``rate`` is the probability that a data line gets a fault; a file gets a file-level fault (and
    then no other) with probability ``min(5 * rate, 0.25)``. Every other file (``subjects.csv``,
    ``randomization.csv``, ``study.toml``, …) is copied unchanged. Same inputs and same ``rng``
    state give byte-identical files and manifest.
    """
    source, target = Path(source), Path(target)
    if not 0 <= rate <= 1:
        raise ValueError(f"rate is a probability between 0 and 1, not {rate}")
    if source.resolve() == target.resolve():
        raise ValueError("the dirty files need another folder than the clean ones")
    target.mkdir(parents=True, exist_ok=True)
    dirty_names = {f"{d}.csv" for d in DIRTY_DOMAINS}
    for path in sorted(source.iterdir()):
        if path.name in dirty_names:
            continue
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, target / path.name)
    study = SourceStudy(source)
    faults: list[Fault] = []
    for name in DIRTY_DOMAINS:
        path = source / f"{name}.csv"
        if not path.exists():
            continue
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not UTF-8, so it is not a clean file to inject faults into") from exc
        dirty, found = _dirty_file(DOMAINS[name], data, rate, rng, study)
        (target / path.name).write_bytes(dirty)
        if not any(f.kind in FILE_KINDS for f in found):
            found += _window_warnings(DOMAINS[name], dirty, study, found)
        faults += sorted(found, key=lambda f: (f.line, f.column or ""))
    return faults
