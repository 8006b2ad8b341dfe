"""What every store reads the same way, on cursors of its DuckDB database (the embedded file, or the
in-process copy of a PostgreSQL study): a whole result, one value, and the study definition."""

from __future__ import annotations

import pandas as pd

from trial.study import Study, parse_study


class CursorReads:
    """``query``, ``scalar`` and ``study`` for a store with ``cursor()`` and ``shown`` (how a sentence
    names the database); ``_study`` caches the parsed definition (None: read it again)."""

    _study: Study | None = None

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run a read query on a fresh cursor and return the whole result."""
        cur = self.cursor()
        try:
            return cur.execute(sql, params or {}).df()
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
