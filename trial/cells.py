"""Type a file's string cells by the domain's column kinds, in DuckDB, strictly.

Cells are trimmed (spaces, tabs, non-breaking spaces) and empty means missing; codes are upper-cased.
Numbers and dates must look exactly like numbers and ISO dates: DuckDB's own casts are lenient
('12.5' → 13 as an integer, '2024-1-5' as a date), so each cast is guarded by a pattern. A cell that
does not fit its kind, or holds a spreadsheet error such as ``#N/A``, becomes a finding naming its
line, column and value; the typed cell is then missing.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from schemas import KIND_CODE, KIND_DATE, KIND_DECIMAL, KIND_INT, Domain
from trial import findings as fd
from trial.csvfile import LINE, CsvCells, column_key

SPREADSHEET_ERRORS = ("#N/A", "#NA", "#N/D", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#######")
_BLANKS = " \t\r\n\u00a0\ufeff"  # \ufeff: a byte-order mark where two files were joined
_PATTERNS = {
    KIND_INT: "[+-]?[0-9]+",
    KIND_DECIMAL: "[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)",
    KIND_DATE: "[0-9]{4}-[0-9]{2}-[0-9]{2}",
}
_SQL_TYPES = {KIND_INT: "BIGINT", KIND_DECIMAL: "DOUBLE", KIND_DATE: "DATE"}
RAW_CELLS = "raw_cells"
_UNNAMED = "unnamed_column_"


def _trimmed(position: int) -> str:
    return f"NULLIF(trim({column_key(position)}, '{_BLANKS}'), '')"


def _typed(kind: str, raw: str) -> str:
    errors = ", ".join(f"'{e}'" for e in SPREADSHEET_ERRORS)
    if kind in _PATTERNS:
        return (
            f"CASE WHEN regexp_full_match({raw}, '{_PATTERNS[kind]}') "
            f"THEN TRY_CAST({raw} AS {_SQL_TYPES[kind]}) END"
        )
    value = f"upper({raw})" if kind == KIND_CODE else raw
    return f"CASE WHEN upper({raw}) IN ({errors}) THEN NULL ELSE {value} END"


def _failed(kind: str, raw: str, typed: str) -> str:
    if kind in _PATTERNS:
        return f"CASE WHEN {raw} IS NOT NULL AND ({typed}) IS NULL THEN {raw} END"
    errors = ", ".join(f"'{e}'" for e in SPREADSHEET_ERRORS)
    return f"CASE WHEN upper({raw}) IN ({errors}) THEN {raw} END"


def type_cells(
    cur: duckdb.DuckDBPyConnection,
    cells: CsvCells,
    domain: Domain,
    positions: dict[str, int],
    unnamed: list[int] = (),
) -> tuple[pa.Table, list[fd.Finding]]:
    """Typed columns in the domain's order (absent optional ones all missing) plus ``_line``.

    ``unnamed`` positions (trailing columns without a header) must be empty on every line."""
    cur.register(RAW_CELLS, cells.cells)
    try:
        typed_exprs, failed_exprs = [], []
        for column in domain.columns:
            if column.name not in positions:
                sql_type = _SQL_TYPES.get(column.kind, "VARCHAR")
                typed_exprs.append(f"CAST(NULL AS {sql_type}) AS {column.name}")
                continue
            raw = _trimmed(positions[column.name])
            typed = _typed(column.kind, raw)
            typed_exprs.append(f"{typed} AS {column.name}")
            failed_exprs.append(f"{_failed(column.kind, raw, typed)} AS {column.name}")
        checked = [c.name for c in domain.columns if c.name in positions]
        for position in unnamed:
            failed_exprs.append(f"{_trimmed(position)} AS {_UNNAMED}{position + 1}")
            checked.append(f"{_UNNAMED}{position + 1}")
        # A row whose cells are all empty (Excel leaves ",,,," rows behind) is not a record.
        has_content = " OR ".join(f"{_trimmed(i)} IS NOT NULL" for i in range(len(cells.header))) or "FALSE"
        rows = f"(SELECT * FROM {RAW_CELLS} WHERE {has_content})"
        typed_table = cur.sql(f"SELECT {LINE}, {', '.join(typed_exprs)} FROM {rows}").to_arrow_table()
        failures = cur.execute(
            f"SELECT {LINE}, name, raw FROM (SELECT {LINE}, {', '.join(failed_exprs)} FROM {rows}) "
            f"UNPIVOT (raw FOR name IN ({', '.join(checked)})) "
            f"ORDER BY {LINE}"
        ).fetchall()
    finally:
        cur.unregister(RAW_CELLS)
    return typed_table, [_explain(line, name, raw, domain) for line, name, raw in failures]


_AMBIGUOUS_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_ISO_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def _explain(line: int, column: str, raw: str, domain: Domain) -> fd.Finding:
    if column.startswith(_UNNAMED):
        number = column[len(_UNNAMED) :]
        return fd.error(
            line, None, raw, "value_without_column",
            f"{raw} is in column {number}, which has no name in the header; name the column or remove the value",
        )
    kind = domain.column(column).kind
    if raw.upper() in SPREADSHEET_ERRORS:
        return fd.error(
            line, column, raw, "spreadsheet_error",
            f"{raw} is a spreadsheet error, not a value; leave the cell empty when the value is missing",
        )
    if kind == KIND_DATE:
        if _AMBIGUOUS_DATE.match(raw):
            return fd.error(
                line, column, raw, "ambiguous_date",
                f"{raw} is an ambiguous date (day/month or month/day?); write dates as YYYY-MM-DD",
            )
        if re.fullmatch(_PATTERNS[KIND_DATE], raw):
            return fd.error(line, column, raw, "invalid_date", f"{raw} is not a real calendar date")
        if _ISO_SHAPE.match(raw):
            return fd.error(
                line, column, raw, "date_format",
                f"{raw} is not written as YYYY-MM-DD (two-digit month and day, no time)",
            )
        return fd.error(line, column, raw, "date_format", f"{raw} is not a date; write dates as YYYY-MM-DD")
    if kind == KIND_INT:
        if re.fullmatch(_PATTERNS[KIND_INT], raw):  # a whole number too long for 64 bits
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
