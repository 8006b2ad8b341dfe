"""The analysis results dataset (ARD): every statistic of the end-of-study tables, computed once.

One row per statistic: table_id, population, param, category, visit, group, method, stat, value.
Tables, charts and exports read it and never compute a statistic of their own. ``compute_ard``
derives the analysis datasets and runs each table's analyses; ``ard_for`` keeps the result per
database and data version, so it is computed once per change of the data.
"""

from __future__ import annotations

import threading

import pandas as pd

from trial.analysis import ard_baseline, ard_efficacy, ard_safety
from trial.analysis.ard_inputs import COLUMNS, Rows, load_inputs


def compute_ard(store) -> pd.DataFrame:
    """Every statistic of the table pack, from the store's current data."""
    inputs = load_inputs(store)
    rows: list[dict] = []
    for population in ("ITT", "SAF", "PP"):
        big_n = Rows("BIGN", population)
        for group, n in inputs.big_n(population).items():
            big_n.add({"count": n}, param="BIGN", group=group, method="COUNT")
        rows += big_n.rows
    for module in (ard_baseline, ard_efficacy, ard_safety):
        for analysis in module.ANALYSES:
            rows += analysis(inputs)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame


_cache: dict[tuple[str, int], pd.DataFrame] = {}
_cache_lock = threading.Lock()


def ard_for(store) -> pd.DataFrame:
    """The ARD of the store's data version, computed once per version (the latest is kept)."""
    key = (store.cache_key, store.data_version())
    with _cache_lock:
        if key not in _cache:
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            _cache[key] = compute_ard(store)
        return _cache[key].copy()
