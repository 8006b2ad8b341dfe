"""Listings of section 16.2: every adverse event (16.2.7) and every protocol deviation or
data-quality finding (16.2.2), by site and subject. Listings show records, not statistics, so they
read the analysis datasets and the findings directly."""

from __future__ import annotations

import pandas as pd

from trial.analysis.datasets import open_datasets
from trial.reports.formats import code_words
from trial.reports.model import Column, Row, Table
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame


def _query(store, name: str) -> pd.DataFrame:
    cur = store.cursor()
    try:
        open_datasets(cur)
        return frame(cur, sql_text(f"reports/listings/{name}"))
    finally:
        cur.close()


def _by_site(frame: pd.DataFrame, columns: list[str]) -> tuple[Row, ...]:
    if frame.empty:
        return (Row("None recorded", ("",) * len(columns)),)
    rows: list[Row] = []
    for site, records in frame.groupby("site_id", sort=True):
        rows.append(Row(f"Site {site}", ("",) * len(columns), heading=True))
        for record in records.itertuples(index=False):
            rows.append(Row(record.subject_id, tuple(str(getattr(record, c)) for c in columns), 1))
    return tuple(rows)


AE_COLUMNS = {
    "arm": "Arm", "ae_seq": "No.", "term": "Verbatim term", "pt": "Preferred term", "onset": "Onset (day)",
    "resolution": "Resolved", "severity": "Severity", "serious": "Serious", "relationship": "Relationship",
    "cause": "Suspected cause", "action": "Action", "outcome": "Outcome", "teae": "TEAE",
}
DEVIATION_COLUMNS = {
    "domain": "Domain", "upload_id": "Upload", "file_name": "File", "line": "Line", "column_name": "Column",
    "value": "Value", "rule": "Rule", "message": "Finding",
}


def _listing(store, query: str, columns: dict[str, str], number: str, title: str, population: str, note: str,
             readable=None) -> Table:
    """A landscape listing of the query's rows, grouped by site, one row per record with the subject as its label;
    ``readable`` turns the rows' codes into words."""
    frame = _query(store, query)
    rows = _by_site(frame if readable is None or frame.empty else readable(frame, store.study), list(columns))
    return Table(number, title, population, "Site / Subject", tuple(Column(label) for label in columns.values()), rows,
                 (note,), listing=True)


_WORDED = ("severity", "relationship", "cause", "action", "outcome")  # codes shown as words: PROBABLY_RELATED → Probably related
_YES_NO = {"Y": "Yes", "N": "No"}


def _in_words(frame: pd.DataFrame, study) -> pd.DataFrame:
    """The adverse events as a reader reads them: arms by their labels, codes as words, Y/N as Yes/No."""
    labels = {a.code: a.label for a in study.arms}
    words = {column: frame[column].map(lambda v: "No action" if v == "NONE" else code_words(str(v)) if v else "")
             for column in _WORDED}
    return frame.assign(arm=frame.arm.map(lambda v: labels.get(v, v)), serious=frame.serious.map(lambda v: _YES_NO.get(v, v)),
                        teae=frame.teae.map(lambda v: _YES_NO.get(v, v)), **words)


def ae_listing(store) -> Table:
    return _listing(store, "adverse_events", AE_COLUMNS, "16.2.7", "Adverse events",
                    "All subjects with an adverse event",
                    "Onset (day): date and study day from randomization. TEAE: onset on or after randomization.",
                    _in_words)


def deviation_listing(store) -> Table:
    return _listing(store, "deviations", DEVIATION_COLUMNS, "16.2.2",
                    "Data-quality findings kept from loaded uploads", "All loaded uploads",
                    "Warnings kept from uploads that loaded (for example visits outside their window), each with its "
                    "upload, file and line.")


LISTINGS = (deviation_listing, ae_listing)  # in the order of their numbers
