"""The analysis results dataset (ARD): every statistic of the end-of-study tables, computed once.

One row per statistic: table_id, population, param, category, visit, group, method, stat, value.
Tables, charts and exports read it and never compute a statistic of their own. ``compute_ard``
derives the analysis datasets and runs each table's analyses; ``ard_for`` keeps the result per
database and data version, so it is computed once per change of the data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pandas as pd

from trial.analysis.datasets import derive, open_datasets

COLUMNS = ["table_id", "population", "param", "category", "visit", "group", "method", "stat", "value"]
TOTAL = "TOTAL"


@dataclass
class Inputs:
    """What the analyses read: the study and its analysis datasets."""

    study: object
    adsl: pd.DataFrame
    adhc: pd.DataFrame
    adpt: pd.DataFrame
    adga: pd.DataFrame
    adae: pd.DataFrame
    sessions: pd.DataFrame  # microneedling sessions of the safety population, with the arm
    _big_n: dict = field(default_factory=dict, repr=False)

    @property
    def arms(self) -> list[str]:
        return self.study.arm_codes

    @property
    def control(self) -> str | None:
        arm = self.study.control_arm
        return arm.code if arm else None

    @property
    def tests(self) -> list[str]:
        return [a for a in self.arms if a != self.control] if self.control else []

    def contrast(self, test: str) -> str:
        return f"{test}-{self.control}"

    def big_n(self, population: str) -> dict[str, int]:
        """Subjects per arm (and in total) in a population: the denominators of every percentage."""
        if population not in self._big_n:
            flag = {"ITT": "ittfl", "SAF": "saffl", "PP": "pprotfl"}[population]
            chosen = self.adsl[self.adsl[flag]]
            counts = {arm: int((chosen.arm == arm).sum()) for arm in self.arms}
            self._big_n[population] = counts | {TOTAL: len(chosen)}
        return self._big_n[population]


class Rows:
    """Collects ARD rows for one table: ``add(stats, **where)`` adds one row per statistic."""

    def __init__(self, table_id: str, population: str):
        self.table_id, self.population = table_id, population
        self.rows: list[dict] = []

    def add(self, stats: dict, *, param: str, group: str, method: str = "DESCRIPTIVE", category: str = "", visit: str = "") -> None:
        for stat, value in stats.items():
            self.rows.append(
                {"table_id": self.table_id, "population": self.population, "param": param, "category": category,
                 "visit": visit, "group": group, "method": method, "stat": stat, "value": float(value)}
            )


def load_inputs(store) -> Inputs:
    cur = store.cursor()
    try:
        open_datasets(cur)
        frames = {name: derive(cur, name) for name in ("adsl", "adhc", "adpt", "adga", "adae")}
        sessions = cur.execute("SELECT p.*, a.arm FROM procedures AS p JOIN adsl AS a USING (subject_id) WHERE a.saffl").df()
    finally:
        cur.close()
    return Inputs(store.study, sessions=sessions, **frames)


def compute_ard(store) -> pd.DataFrame:
    """Every statistic of the table pack, from the store's current data."""
    from trial.analysis import ard_baseline, ard_efficacy, ard_safety

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
