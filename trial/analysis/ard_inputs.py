"""What every analysis of the ARD shares: its columns, the inputs (the study and its analysis
datasets, with the denominators) and the collector of one table's rows. A module of its own so
that the analyses (ard_baseline, ard_efficacy, ard_safety) and the ARD that runs them import it,
not each other."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from trial.analysis.datasets import derive, open_datasets
from trial.store.reading import frame

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
        open_datasets(cur, materialised=("adsl",))  # read by every other dataset: derived once, not six times
        frames = {name: derive(cur, name) for name in ("adsl", "adhc", "adpt", "adga", "adae")}
        sessions = frame(cur, "SELECT p.*, a.arm FROM procedures AS p JOIN adsl AS a USING (subject_id) WHERE a.saffl")
    finally:
        cur.close()
    return Inputs(store.study, sessions=sessions, **frames)
