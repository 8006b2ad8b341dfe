"""The adverse-event listing of the Tolerability page: every event of ADAE with study days and the
flags a monitor filters on (``trial/sql/readers/ae_listing.sql``), and the filter itself.

The filter is a pure function on the listing so the page only lays out the choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from trial.analysis.datasets import open_datasets
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame

# The columns a person filters on, in the order the page offers them, with their labels.
FILTERS = {
    "arm": "Arm", "site_id": "Site", "severity": "Severity", "serious": "Serious", "relationship": "Relationship",
    "pt": "Preferred term",
}
COLUMNS = {
    "site_id": "Site", "subject_id": "Subject", "arm": "Arm", "ae_seq": "No.", "term": "Verbatim term",
    "pt": "Preferred term", "soc": "System organ class", "onset_date": "Onset", "onset_day": "Study day",
    "resolution_date": "Resolved", "duration_days": "Days", "severity": "Severity", "serious": "Serious",
    "relationship": "Relationship", "suspected_cause": "Suspected cause", "action_taken": "Action", "outcome": "Outcome",
    "teae": "TEAE",
}


def ae_listing(store) -> pd.DataFrame:
    """Every adverse event, by site, subject and sequence number (all subjects, TEAE or not)."""
    cur = store.cursor()
    try:
        open_datasets(cur)
        return frame(cur, sql_text("readers/ae_listing"))
    finally:
        cur.close()


def filter_events(listing: pd.DataFrame, chosen: Mapping[str, Iterable] | None = None, *,
                  treatment_emergent_only: bool = False) -> pd.DataFrame:
    """The events whose value in each filtered column is one of the chosen ones.

    ``chosen`` maps a column of :data:`FILTERS` to the values kept; a column left out, or given an
    empty choice, is not filtered. ``treatment_emergent_only`` keeps the TEAEs only.
    """
    keep = pd.Series(True, index=listing.index)
    for column, values in (chosen or {}).items():
        if column not in FILTERS:
            raise KeyError(f"'{column}' is not a filter of the listing; they are {', '.join(FILTERS)}")
        values = list(values)
        if values:
            keep &= listing[column].isin(values)
    if treatment_emergent_only:
        keep &= listing.teae == "Y"
    return listing[keep].reset_index(drop=True)
