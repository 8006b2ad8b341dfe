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
from dataclasses import dataclass, field

import pandas as pd

from trial.analysis import ard_baseline, ard_efficacy, ard_safety
from trial.analysis.ard_inputs import COLUMNS, Rows, load_inputs


def compute_ard(store, *, sensitivity: bool = True) -> pd.DataFrame:
    """Every statistic of the table pack, from the store's current data (without the sensitivity
    analyses when ``sensitivity`` is False)."""
    inputs = load_inputs(store)
    core = _core(inputs)
    return pd.concat([core, _sensitivity(inputs)], ignore_index=True) if sensitivity else core


def _core(inputs) -> pd.DataFrame:
    rows: list[dict] = []
    for population in ("ITT", "SAF", "PP"):
        big_n = Rows("BIGN", population)
        for group, n in inputs.big_n(population).items():
            big_n.add({"count": n}, param="BIGN", group=group, method="COUNT")
        rows += big_n.rows
    for module in (ard_baseline, ard_efficacy, ard_safety):
        for analysis in module.ANALYSES:
            rows += analysis(inputs)
    return pd.DataFrame(rows, columns=COLUMNS)


def _sensitivity(inputs) -> pd.DataFrame:
    return pd.DataFrame([row for analysis in ard_efficacy.SENSITIVITY for row in analysis(inputs)], columns=COLUMNS)


@dataclass
class _Kept:
    """One data version's inputs and the ARDs made of them (the core, and with sensitivity when asked)."""

    inputs: object
    ards: dict[bool, pd.DataFrame] = field(default_factory=dict)


_cache: dict[tuple[str, int], _Kept] = {}
_cache_lock = threading.Lock()


def ard_for(store, *, sensitivity: bool = False) -> pd.DataFrame:
    """The ARD of the store's data version, computed once per version (the latest is kept); with
    the sensitivity analyses when asked (the pack), added to the pages' ARD from the same inputs
    when it is there."""
    key = (store.cache_key, store.data_version())
    with _cache_lock:
        kept = _cache.get(key)
        if kept is None:
            for old in [k for k in _cache if k[0] == key[0]]:
                del _cache[old]
            kept = _cache[key] = _Kept(load_inputs(store))
        if sensitivity not in kept.ards:
            core = kept.ards.get(False)
            if core is None:
                core = kept.ards[False] = _core(kept.inputs)
            kept.ards[sensitivity] = pd.concat([core, _sensitivity(kept.inputs)], ignore_index=True) if sensitivity else core
        return kept.ards[sensitivity].copy()
