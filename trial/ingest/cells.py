"""Type a file's string cells by the domain's column kinds, strictly, with pyarrow compute.

Cells are trimmed once (spaces, tabs, non-breaking spaces, stray byte-order marks) and empty means
missing; codes are upper-cased; a row whose cells are all empty (Excel leaves ",,,," rows behind)
is not a record. Numbers and dates must look exactly like numbers and ISO dates: every cast is
guarded by a pattern, so '12.5' is not an integer and '2024-1-5' is not a date. A cell that does
not fit its kind, or holds a spreadsheet error such as ``#N/A``, becomes a finding naming its
line, column and value; its typed cell is then missing. Of a column's bad cells the first
:data:`~trial.findings.MOST_PER_RULE` (by line) are explained; the rest are only counted.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from schemas import Domain, KIND_CODE, KIND_DATE, KIND_DECIMAL, KIND_INT
from trial import findings as fd
from trial.ingest.csvfile import LINE, column_key

SPREADSHEET_ERRORS = ("#N/A", "#NA", "#N/D", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#######")
_BLANKS = " \t\r\n\u00a0\ufeff"  # \ufeff: a byte-order mark where two files were joined
_PATTERNS = {
    KIND_INT: "[+-]?[0-9]{1,18}",  # 18 digits always fit in 64 bits; longer ones are reported as too large
    KIND_DECIMAL: "[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)",
    KIND_DATE: "[0-9]{4}-[0-9]{2}-[0-9]{2}",
}
_ARROW_TYPES = {KIND_INT: pa.int64(), KIND_DECIMAL: pa.float64(), KIND_DATE: pa.date32()}
_ERROR_VALUES = pa.array(SPREADSHEET_ERRORS)
# Control characters other than tab and line breaks: no export format can carry them (XML forbids
# them, so an ODM or define.xml holding one is not well-formed), and no one types them on purpose.
_CONTROL = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"
_NO_TEXT = pa.scalar(None, pa.string())


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    trimmed = pc.utf8_trim(column, characters=_BLANKS)
    return pc.if_else(pc.equal(trimmed, ""), _NO_TEXT, trimmed)


def _typed_values(kind: str, texts: pa.Array) -> pa.Array:
    if kind in _PATTERNS:
        fits = pc.match_substring_regex(texts, f"^{_PATTERNS[kind]}$")
        candidates = pc.if_else(fits, texts, _NO_TEXT)
        if kind == KIND_DATE:
            # strptime rolls 2024-02-30 over to 2024-03-01: a real date formats back to what was written.
            stamps = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
            real = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), candidates)
            return pc.cast(pc.if_else(real, stamps, pa.scalar(None, stamps.type)), pa.date32())
        unsigned = pc.utf8_ltrim(candidates, characters="+")  # the pattern allows one
        return pc.cast(unsigned, _ARROW_TYPES[kind])
    upper = pc.utf8_upper(texts)
    value = upper if kind == KIND_CODE else texts
    unfit = pc.or_(pc.is_in(upper, value_set=_ERROR_VALUES), pc.match_substring_regex(texts, _CONTROL))
    return pc.if_else(unfit, _NO_TEXT, value)


def type_cells(batch: pa.Table, domain: Domain, positions: dict[str, int], unnamed=(),
               budget: fd.Budget | None = None) -> tuple[pa.Table, list[fd.Finding], dict[str, pa.Array]]:
    """Typed columns in the domain's order (absent optional ones all missing) plus ``_line``, the
    findings, and for each column with cells that did not fit, which rows those are (their typed
    cell is missing: a check for required cells need not report them again).

    ``unnamed`` positions (trailing columns without a header) must be empty on every line.
    Files repeat their values (codes, dates, counts), so each column is dictionary-encoded and
    every distinct value is trimmed, typed and judged once; rows then take their value by index.
    ``batch`` is one batch of a file's cells (see :mod:`trial.ingest.csvfile`); ``budget`` carries the
    count of bad cells explained from one batch to the next."""
    budget = budget or fd.Budget()
    lines = batch.column(LINE)
    texts = [batch.column(column_key(position)) for position in range(batch.num_columns - 1)]
    columns_at = {positions[c.name]: c for c in domain.columns if c.name in positions}
    typed_columns, found, unfit, has_content = {}, [], {}, None
    for position in range(len(texts)):
        encoded = pc.dictionary_encode(texts[position].combine_chunks())
        texts[position] = None
        indices, values = encoded.indices, _trimmed(encoded.dictionary)
        del encoded
        filled = pc.take(pc.is_valid(values), indices)
        has_content = filled if has_content is None else pc.or_(has_content, filled)
        column = columns_at.get(position)
        if column is not None:
            typed = _typed_values(column.kind, values)
            typed_columns[column.name] = pc.take(typed, indices)
            failed = pc.and_(pc.is_valid(values), pc.is_null(typed))
            if pc.any(failed).as_py():
                unfit[column.name] = pc.take(failed, indices)
            found += _failures(lines, indices, values, failed,
                               lambda line, value, name=column.name: _explain(line, name, value, domain), budget,
                               column=column.name)
        elif position in unnamed:
            found += _failures(
                lines,
                indices,
                values,
                pc.is_valid(values),
                lambda line, value, number=position + 1: fd.error(
                    line, None, value, "value_without_column",
                    f"{value} is in column {number}, which has no name in the header; name the column or remove the value",
                ),
                budget,
                rule="value_without_column",
            )
    typed_columns = {LINE: lines} | {
        c.name: typed_columns.get(c.name, pa.nulls(len(lines), _ARROW_TYPES.get(c.kind, pa.string()))) for c in domain.columns}
    typed_table = pa.table(typed_columns)
    if has_content is not None and not pc.all(has_content).as_py():
        typed_table = typed_table.filter(has_content)  # rows of empty cells are no records
        unfit = {name: rows.filter(has_content) for name, rows in unfit.items()}
    return typed_table, sorted(found, key=fd.sort_key), unfit


def _failures(lines, indices, values, failed_values, explain, budget: fd.Budget, *, column=None, rule=None) -> list[fd.Finding]:
    """Findings for the first rows whose (distinct) value failed; the other rows are counted, as
    findings of ``rule``, or (rule None) as values of ``column`` that do not fit it."""
    if not pc.any(failed_values).as_py():
        return []
    rows = pc.take(failed_values, indices)
    total = pc.sum(rows).as_py()
    if rule is None:
        first = _first_rows(rows, budget.explain(column, total))
    else:
        first = _first_rows(rows, min(total, budget.room(rule)))
        budget.count(rule, fd.Severity.ERROR, total - len(first))
    return budget.keep(
        explain(line, value)
        for line, value in zip(
            pc.take(lines, first).to_pylist(), pc.take(values, pc.take(indices, first)).to_pylist(), strict=True
        )
    )


_SCAN = 1 << 20


def _first_rows(mask: pa.Array, most: int) -> pa.Array:
    """The positions of the first ``most`` true values of ``mask``, found a slice at a time."""
    found, have = [], 0
    for start in range(0, len(mask), _SCAN):
        positions = pc.indices_nonzero(mask.slice(start, _SCAN)).slice(0, most - have)
        if len(positions):
            found.append(pc.add(positions.cast(pa.int64()), start))
            have += len(positions)
        if have >= most:
            break
    return pa.concat_arrays(found) if found else pa.array([], pa.int64())


_AMBIGUOUS_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")


def _day_month_year(line: int, column: str, raw: str) -> fd.Finding:
    """03/04/2024 could be 3 April or 4 March: say so. 28/12/2016 can only be one date: say which."""
    first, second, year = (int(part) for part in re.split(r"[/.-]", raw))
    if first <= 12 and second <= 12:
        return fd.error(
            line, column, raw, "ambiguous_date",
            f"{raw} is an ambiguous date (day/month or month/day?); write dates as YYYY-MM-DD",
        )
    day, month = (first, second) if first > 12 else (second, first)
    if len(str(year)) == 4 and month <= 12:
        return fd.error(
            line, column, raw, "date_format", f"{raw} is not written as YYYY-MM-DD; write {year}-{month:02d}-{day:02d}"
        )
    return fd.error(line, column, raw, "date_format", f"{raw} is not a date; write dates as YYYY-MM-DD")
_CONTROL_PY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def _explain(line: int, column: str, raw: str, domain: Domain) -> fd.Finding:
    kind = domain.column(column).kind
    control = re.search(_CONTROL_PY, raw)
    if control:
        shown = raw.replace(control.group(), "?")
        return fd.error(
            line, column, shown, "control_character",
            f"'{shown}' holds an invisible control character (U+{ord(control.group()):04X}, shown here as ?) at position "
            f"{control.start() + 1}; retype the value without it",
        )
    if raw.upper() in SPREADSHEET_ERRORS:
        return fd.error(
            line, column, raw, "spreadsheet_error",
            f"{raw} is a spreadsheet error, not a value; leave the cell empty when the value is missing",
        )
    if kind == KIND_DATE:
        if _AMBIGUOUS_DATE.match(raw):
            return _day_month_year(line, column, raw)
        if re.fullmatch(_PATTERNS[KIND_DATE], raw):
            return fd.error(line, column, raw, "invalid_date", f"{raw} is not a real calendar date")
        if _ISO_SHAPE.match(raw):
            return fd.error(
                line, column, raw, "date_format",
                f"{raw} is not written as YYYY-MM-DD (two-digit month and day, no time)",
            )
        return fd.error(line, column, raw, "date_format", f"{raw} is not a date; write dates as YYYY-MM-DD")
    if kind == KIND_INT:
        if re.fullmatch(r"[+-]?[0-9]+", raw):  # a whole number too long for 64 bits
            maximum = domain.maximum(column)
            limit = f"the maximum {maximum}" if maximum is not None else "any value this column accepts"
            return fd.error(line, column, raw, "above_maximum", f"{raw} is above {limit}")
        if re.fullmatch(_PATTERNS[KIND_DECIMAL], raw):
            return fd.error(line, column, raw, "not_whole_number", f"{raw} is not a whole number")
        return fd.error(line, column, raw, "not_a_number", f"{raw} is not a whole number")
    if re.fullmatch(r"[+-]?[0-9]*,[0-9]+", raw):
        return fd.error(
            line, column, raw, "decimal_comma",
            f"{raw} is not a number here: use a point for decimals ({raw.replace(',', '.')})",
        )
    return fd.error(line, column, raw, "not_a_number", f"{raw} is not a number")
