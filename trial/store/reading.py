"""What every store reads the same way, on cursors of its DuckDB database (the embedded file, or the
in-process copy of a PostgreSQL study): a whole result, one value, and the study definition."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from trial.study import Study, parse_study


def frame(cur, sql: str, params: dict | None = None) -> pd.DataFrame:
    """A read query's whole result as a DataFrame, by way of Arrow: the one way every module turns a
    result into a frame. Hand-written rather than DuckDB's ``.df()`` because that builds a Python
    string per cell, which pandas 3 then copies into Arrow again (at 100,000 subjects the analysis
    datasets took 2.3 s that way, 0.3 s this way). The columns come out as ``.df()`` made them:
    dates as datetime64[us], decimals as floats, integers and booleans with a NULL as pandas'
    nullable types, and a text column with no value at all as objects (None). A result of
    ``execute`` still open on the cursor (after a ``fetchone``, say) is run to its end first, as
    another ``execute`` would do; DuckDB refuses a new query beside it."""
    cur.complete()
    return _to_pandas(cur.sql(sql, params=params or None).to_arrow_table())


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        if column.null_count and (pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
            columns[name] = column.to_pandas(types_mapper=pd.ArrowDtype).astype(_NULLABLE[str(kind)])
        elif (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and column.null_count == len(column):
            columns[name] = pd.Series([None] * len(column), dtype=object)
        else:
            columns[name] = column.to_pandas()
    if len(columns) != table.num_columns:
        raise ValueError(f"a result names a column twice: {', '.join(table.column_names)}")
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


_NULLABLE = {"bool": "boolean", "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
             "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


class CursorReads:
    """``query``, ``scalar`` and ``study`` for a store with ``cursor()`` and ``shown`` (how a sentence
    names the database); ``_study`` caches the parsed definition (None: read it again)."""

    _study: Study | None = None

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run a read query on a fresh cursor and return the whole result."""
        cur = self.cursor()
        try:
            return frame(cur, sql, params)
        finally:
            cur.close()

    def scalar(self, sql: str, params: dict | None = None):
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or {}).fetchone()
            return None if row is None else row[0]
        finally:
            cur.close()

    @property
    def study(self) -> Study:
        if self._study is None:
            text = self.scalar("SELECT value FROM meta WHERE key = 'study_toml'")
            self._study = parse_study(text, f"the study definition stored in {self.shown}")
        return self._study
