"""The analysis results dataset (ARD): every statistic of the end-of-study tables, computed once.

One row per statistic: table_id, population, param, category, visit, group, method, stat, value.
Tables, charts and exports read it and never compute a statistic of their own. ``compute_ard``
derives the analysis datasets and runs each table's analyses; ``ard_for`` keeps the result per
database and data version, so it is computed once per change of the data. The sensitivity analyses
(multiple imputation of the primary endpoint) are part of the ARD the pack and its exports read;
the pages show none of them and ask for the ARD without them (``sensitivity=False``): a page
never waits seconds for an imputation it does not show.
"""

from __future__ import annotations

import threading

import pandas as pd

from trial.analysis import ard_baseline, ard_efficacy, ard_safety
from trial.analysis.ard_inputs import COLUMNS, Rows, load_inputs


def compute_ard(store, *, sensitivity: bool = True) -> pd.DataFrame:
    """Every statistic of the table pack, from the store's current data (without the sensitivity
    analyses when ``sensitivity`` is False)."""
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
    if sensitivity:
        rows += sensitivity_rows(inputs)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame


def sensitivity_rows(inputs) -> list[dict]:
    return [row for analysis in ard_efficacy.SENSITIVITY for row in analysis(inputs)]


_cache: dict[tuple[str, int, bool], pd.DataFrame] = {}
_cache_lock = threading.Lock()


def ard_for(store, *, sensitivity: bool = False) -> pd.DataFrame:
    """The ARD of the store's data version, computed once per version (the latest is kept); with
    the sensitivity analyses when asked (the pack), added to the pages' ARD when it is there."""
    key = (store.cache_key, store.data_version(), sensitivity)
    with _cache_lock:
        if key not in _cache:
            for old in [k for k in _cache if k[0] == key[0] and k[1] != key[1]]:
                del _cache[old]
            core = _cache.get(key[:2] + (False,))
            if sensitivity and core is not None:
                extra = pd.DataFrame(sensitivity_rows(load_inputs(store)), columns=COLUMNS)
                _cache[key] = pd.concat([core, extra], ignore_index=True)
            else:
                _cache[key] = compute_ard(store, sensitivity=sensitivity)
        return _cache[key].copy()
