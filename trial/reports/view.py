"""Reading the ARD by its coordinates: the only way layouts get numbers."""

from __future__ import annotations

import pandas as pd


class ArdView:
    """The ARD rows of one table, looked up by (param, category, visit, group, method, stat)."""

    def __init__(self, ard: pd.DataFrame, table_id: str):
        rows = ard[ard.table_id == table_id]
        self.frame = rows
        self._values = {
            (r.param, r.category, r.visit, r.group, r.method, r.stat): r.value
            for r in rows.itertuples(index=False)
        }

    def get(self, param: str, stat: str, *, group: str, method: str = "DESCRIPTIVE", category: str = "", visit: str = ""):
        return self._values.get((param, category, visit, group, method, stat))

    def values(self, column: str, **where) -> list:
        """Distinct values of ``column`` among the rows matching ``where``, in ARD order."""
        rows = self.frame
        for key, wanted in where.items():
            rows = rows[rows[key] == wanted]
        return list(dict.fromkeys(rows[column]))


def big_n(ard: pd.DataFrame, population: str) -> dict[str, int]:
    rows = ard[(ard.table_id == "BIGN") & (ard.population == population)]
    return {r.group: int(r.value) for r in rows.itertuples(index=False)}
