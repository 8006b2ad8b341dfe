"""The analysis datasets, derived in DuckDB from the study tables (``trial/sql/analysis/*.sql``).

``open_datasets(cur)`` makes them temporary views (or tables) on a cursor, in dependency order, so later
queries (and the ARD) read ``adsl``, ``adhc``, ``adpt``, ``adga`` and ``adae`` like tables.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from trial.store.sqlfiles import sql_text
from trial.store.reading import frame

DATASETS = ("adsl", "adhc", "adpt", "adga", "adae")


def open_datasets(cur: duckdb.DuckDBPyConnection, *, materialised: tuple[str, ...] = ()) -> None:
    """The datasets as temporary views on ``cur``; those named in ``materialised`` as temporary
    tables, derived once here (for a reader of every dataset: each of the others reads adsl)."""
    for name in DATASETS:
        kind = "TABLE" if name in materialised else "VIEW"
        cur.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql_text(f'analysis/{name}')}")


def derive(cur: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """One analysis dataset as a DataFrame (the views must be open on ``cur``)."""
    if name not in DATASETS:
        raise KeyError(f"'{name}' is not an analysis dataset; they are {', '.join(DATASETS)}")
    return frame(cur, f"SELECT * FROM {name}")


def analysis_dataset(store, name: str) -> pd.DataFrame:
    """One analysis dataset of the store, on a cursor of its own."""
    cur = store.cursor()
    try:
        open_datasets(cur)
        return derive(cur, name)
    finally:
        cur.close()


def data_cut(store) -> dt.date | None:
    """The data cut: the latest date recorded anywhere in the study data (``analysis/data_cut.sql``),
    or None when nothing is loaded. The one definition the pages and the pack state."""
    return store.scalar(sql_text("analysis/data_cut"))
