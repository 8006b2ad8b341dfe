"""Every CSV file the system writes, written so that a spreadsheet opens it as data, never as formulas.

A spreadsheet (Excel, LibreOffice, Google Sheets) reads a CSV cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and one that starts with a tab or a carriage return may be trimmed to
one (OWASP, "CSV Injection"). An AE term such as ``=HYPERLINK("http://evil.example", "click")``
would come out live. So :func:`write_csv` prefixes such a text cell with ``'``, which makes the
spreadsheet show the text as it is; the CLI's ``--format csv``, the end-of-study pack and every
page download write through it (a test fails on any other CSV writer in ``trial/`` or ``dashboards/``).

Numbers stay numbers: numeric, boolean and date columns are written untouched, and so is a text
cell that is itself a plain number, such as ``-3`` or ``+1.5e3``. Values of every kind share text
columns (the audit trail's old and new value, a finding's value), so a negative value arrives as
text; a spreadsheet reads it as the number it is, which cannot compute or call out anything, and
a ``'`` would turn it into text that no longer sums. Anything more than a plain number, such as
``-3+A1`` or ``-1 days``, is prefixed. Column names are treated like cells.

Lines end with CRLF (RFC 4180), so that a cell holding a carriage return is quoted: pandas quotes
only the line terminator's characters, and a spreadsheet takes a bare CR for the end of a row,
which would start ``abc\r=1+1``'s second part as a formula in a row of its own.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only (``\d`` would take other scripts' digits, which a spreadsheet does not read as a number)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralised(cell: object) -> object:
    """``cell`` as it may go into a CSV file: text a spreadsheet would read as a formula gets a
    leading ``'``; numbers, missing values and other text are returned as they are."""
    if cell is None or cell is pd.NA or cell is pd.NaT or isinstance(cell, numbers.Number):  # NaN is a float
        return cell
    text = cell if isinstance(cell, str) else str(cell)  # how to_csv would write it (a Timedelta, a list…)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return cell


def _untouched(column: pd.Series) -> bool:
    """Columns whose every cell is written as a number or a date by pandas."""
    dtype = column.dtype
    return (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_datetime64_any_dtype(dtype))


def write_csv(frame: pd.DataFrame, path: str | Path | None = None) -> str | None:
    """Write ``frame`` as CSV (no index) to ``path``, or return the text when ``path`` is None,
    with every cell that a spreadsheet would run as a formula made text (see the module)."""
    safe = frame.copy(deep=False)
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not _untouched(column):
            safe.isetitem(position, column.astype(object).map(neutralised))
    safe.columns = [neutralised(name) if isinstance(name, str) else name for name in safe.columns]
    return safe.to_csv(path, index=False, lineterminator="\r\n")
