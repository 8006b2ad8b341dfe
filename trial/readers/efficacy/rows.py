"""Analysis rows the efficacy dashboards draw subject by subject."""

from __future__ import annotations

import pandas as pd

from trial.analysis.datasets import open_datasets
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame


def individual_values(store, param: str, region: str, visit: str) -> pd.DataFrame:
    """Each ITT subject's value, change and % change from baseline at ``visit``.

    Parameters
    ----------
    store : trial.store.Store
    param : str
        ``HAIR_COUNT`` or ``DENSITY`` (an ADHC parameter).
    region : str
        A scalp region of the study, e.g. ``TARGET``.
    visit : str
        A post-baseline visit code, e.g. ``WEEK_12``.

    Returns
    -------
    pandas.DataFrame
        One row per subject with a value at the visit and at baseline: subject_id, site_id, arm,
        sex, diagnosis, param, region, avisit, aval, base, chg, pchg; filtered in DuckDB, so a
        large study sends only these rows to pandas.
    """
    cur = store.cursor()
    try:
        open_datasets(cur)
        return frame(cur, sql_text("readers/efficacy/individual_values"), {"param": param, "region": region, "visit": visit})
    finally:
        cur.close()
