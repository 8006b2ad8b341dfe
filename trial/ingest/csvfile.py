"""Read an uploaded CSV file into string cells, keeping each record's own line number.

The header is line 1. A regular file (one record per line) goes through pyarrow's multi-threaded
reader and its records are lines 2, 3, …; a file with blank lines, quoted line breaks, ragged rows
or bad bytes goes through Python's ``csv`` module, which counts physical lines exactly. Both give
the same ``CsvCells``: blank lines are skipped, rows of empty cells are kept (typing drops them).
Nothing here knows about domains; cells are untrimmed strings.

The cells come in batches of rows, read as they are consumed, so that the whole file's cells never
sit in memory at once (a file of short cells has many more cells than bytes). The fast reader first
counts the records in a pass that keeps nothing, to know that its line numbers hold.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from trial import findings as fd

BOM = b"\xef\xbb\xbf"
_BLANK_FILE = re.compile(rb"\s*\Z")  # stops at the first byte that is not white space
_LEADING_BLANKS = re.compile(rb"(?:\xef\xbb\xbf)?\s*")
LINE = "_line"
_DECODE_SLICE = 8 * 2**20
_BATCH_RECORDS = 16_384
_BLOCK_BYTES = 8 * 2**20  # the fast reader's batches


@dataclass
class CsvCells:
    header: list[str]
    batches: Iterator[pa.Table] | None  # columns c0…cN (strings) and _line (int64), once
    findings: list[fd.Finding] = field(default_factory=list)  # complete once the batches are read

    @property
    def cells(self) -> pa.Table | None:
        """Every batch as one table (reads them: for small files and tests)."""
        if self.batches is None:
            return None
        if not hasattr(self, "_table"):
            names = [column_key(i) for i in range(len(self.header))] + [LINE]
            empty = pa.table({n: pa.array([], pa.int64() if n == LINE else pa.string()) for n in names})
            self._table = pa.concat_tables([empty, *self.batches])
        return self._table


def column_key(position: int) -> str:
    return f"c{position}"


def header_width(data: bytes) -> int:
    """How many columns the header (the first line that is not blank) has, counted without parsing
    the file: its commas plus one (a quoted comma counts too; only a far too wide header matters)."""
    start = _LEADING_BLANKS.match(data).end()
    end = data.find(b"\n", start)
    return data.count(b",", start, len(data) if end < 0 else end) + 1


def read_cells(data: bytes, budget: fd.Budget | None = None) -> CsvCells:
    """Split ``data`` into a header and string cells; structural problems come back as findings
    (as many as ``budget`` lists). ``data`` is never copied whole: the fast reader reads it in place
    and the exact one decodes it as it goes."""
    budget = budget or fd.Budget()
    skip = len(BOM) if data.startswith(BOM) else 0
    if _BLANK_FILE.match(data, skip):
        return CsvCells([], None, [fd.error(None, None, None, "empty_file", "the file is empty")])
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return CsvCells(
            [],
            None,
            [
                fd.error(
                    line,
                    None,
                    "0x00",
                    "encoding",
                    f"the file is not UTF-8 text: line {line} holds a NUL byte (0x00), as files saved as "
                    "'Unicode text' (UTF-16) do. Save the file as 'CSV UTF-8' and upload it again",
                )
            ],
        )
    header_end = data.find(b"\n", skip)
    first_line = data[skip:] if header_end < 0 else data[skip:header_end]
    if first_line.count(b'"') % 2 == 0:  # the header is whole on line 1
        try:
            header = next(csv.reader([first_line.decode("utf-8").rstrip("\r")]))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            return _read_exactly(data, budget)
        fast = _read_fast(data, skip, header)
        if fast is not None:
            return fast
    return _read_exactly(data, budget)


def _read_fast(data: bytes, skip: int, header: list[str]) -> CsvCells | None:
    """pyarrow's reader, or None when the file needs the exact reader."""
    names = [column_key(i) for i in range(len(header))]
    quotes = b'"' in data

    def batches(columns=None):
        return pacsv.open_csv(
            pa.BufferReader(pa.py_buffer(data).slice(skip)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=quotes, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=columns,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    if _not_utf8(data) is not None:
        return None  # the exact reader names the byte
    try:
        # a counting pass, nothing kept: every line is parsed (a line of the wrong width fails it), one
        # column's cells are made (half the time of making them all; text is checked above, at 5 GB/s)
        records = sum(batch.num_rows for batch in batches(names[:1]))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    end = len(data)
    while end and data[end - 1] in b"\r\n":  # trailing line breaks end no record
        end -= 1
    physical_lines = data.count(b"\n", 0, end) + 1
    if records + 1 != physical_lines:
        return None  # blank lines or quoted line breaks: line numbers are not row + 2
    return CsvCells([h.strip() for h in header], _numbered(batches()))


def _numbered(batches) -> Iterator[pa.Table]:
    line = 2
    for batch in batches:
        rows = batch.num_rows
        yield pa.Table.from_batches([batch]).append_column(LINE, pa.array(np.arange(line, line + rows, dtype=np.int64)))
        line += rows


def _not_utf8(data: bytes) -> int | None:
    """The position of the first byte of ``data`` that is not UTF-8, or None; decodes a slice at a
    time (a slice ends before a character's continuation bytes), so never the whole file at once."""
    view = memoryview(data)
    start = 0
    while start < len(data):
        end = min(start + _DECODE_SLICE, len(data))
        while end < len(data) and end > start and data[end] & 0xC0 == 0x80:
            end -= 1
        try:
            str(view[start:end], "utf-8")
        except UnicodeDecodeError as exc:
            return start + exc.start
        start = end
    return None


def _read_exactly(data: bytes, budget: fd.Budget | None = None) -> CsvCells:
    budget = budget or fd.Budget()
    bad_at = _not_utf8(data)
    if bad_at is not None:
        line = data.count(b"\n", 0, bad_at) + 1
        bad = data[bad_at : bad_at + 1].hex().upper()
        return CsvCells(
            [],
            None,
            [
                fd.error(
                    line,
                    None,
                    f"0x{bad}",
                    "encoding",
                    f"the file is not valid UTF-8: byte 0x{bad} on line {line} cannot be read. "
                    "Save the file as 'CSV UTF-8' and upload it again",
                )
            ],
        )
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), strict=True)
    problems: list[fd.Finding] = []
    position = _Position()
    header = None
    try:
        for record in reader:
            line = position.advance(reader.line_num)
            if any(cell.strip() for cell in record):
                header = [cell.strip() for cell in record]
                if line != 1:
                    problems.append(
                        fd.error(line, None, None, "header_position", "the header must be on line 1, not after blank lines")
                    )
                break
    except csv.Error as exc:
        problems.append(_csv_problem(exc, position.next))
    if header is None:
        return CsvCells([], None, [fd.error(None, None, None, "empty_file", "the file is empty")])
    return CsvCells(header, _exact_batches(reader, header, position, problems, budget), problems)


class _Position:
    """The line a record starts on: the line after the one the previous record ended on."""

    def __init__(self):
        self.next = 1

    def advance(self, ended_on: int) -> int:
        line, self.next = self.next, ended_on + 1
        return line


def _exact_batches(reader, header: list[str], position: _Position, problems: list[fd.Finding],
                   budget: fd.Budget) -> Iterator[pa.Table]:
    cells = _Columns(len(header))
    try:
        for record in reader:
            line = position.advance(reader.line_num)
            if not record:
                continue  # a blank line (rows of empty cells are dropped when typing)
            if len(record) > len(header):
                extra = [c for c in record[len(header) :] if c.strip()]
                if extra:
                    if budget.room("too_many_values"):
                        problems += budget.keep([
                            fd.error(
                                line,
                                None,
                                ",".join(extra),
                                "too_many_values",
                                f"the line has {len(record)} values but the header has {len(header)} columns; "
                                f"the extra values are {', '.join(extra)} "
                                "(a comma inside a value needs the value in double quotes)",
                            )
                        ])
                    else:
                        budget.count("too_many_values", fd.Severity.ERROR)
                    continue
            if cells.add(line, record):
                yield cells.take()
    except csv.Error as exc:
        problems.append(_csv_problem(exc, position.next))
    if cells.rows:
        yield cells.take()


def _csv_problem(exc: csv.Error, line: int) -> fd.Finding:
    if "end of data" in str(exc) or "unexpected end" in str(exc):
        return fd.error(
            line,
            None,
            '"',
            "unclosed_quote",
            'a double quote (") opened on this line is never closed, so the rest of the file '
            "would run into one value; close the quote or remove it",
        )
    return fd.error(line, None, None, "unreadable", f"the line cannot be read as CSV: {exc}")


class _Columns:
    """The exact reader's cells of a batch of records, column by column."""

    def __init__(self, width: int):
        self.width = width
        self._batch: list[list[str]] = [[] for _ in range(width)]
        self._lines: list[int] = []

    @property
    def rows(self) -> int:
        return len(self._lines)

    def add(self, line: int, record: list[str]) -> bool:
        """Add a record; True when the batch is full."""
        record = record[: self.width] + [""] * (self.width - len(record))
        for column, cell in zip(self._batch, record, strict=True):
            column.append(cell)
        self._lines.append(line)
        return len(self._lines) >= _BATCH_RECORDS

    def take(self) -> pa.Table:
        arrays = [pa.array(col, type=pa.string()) for col in self._batch] + [pa.array(self._lines, type=pa.int64())]
        self._batch, self._lines = [[] for _ in range(self.width)], []
        return pa.table(arrays, names=[column_key(i) for i in range(self.width)] + [LINE])
