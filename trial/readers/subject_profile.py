"""One subject, as a site coordinator or monitor looks at it: key facts, hair counts, microneedling
sessions, adverse events, and the audit history of every record of the subject.

The queries are ``trial/sql/readers/subject/*.sql``, each for one subject (``$subject``). The audit trail
records an insert once per upload and table ("491 rows from hair_counts.csv") and a correction
once per changed value with the record's key; :func:`audit_history` puts the two together for one
subject: which upload inserted each of its records and every correction with old and new value.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trial.analysis.datasets import open_datasets
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame

HISTORY_COLUMNS = ["changed_at", "user_name", "action", "table_name", "record", "column_name", "old_value", "new_value",
                   "reason", "upload", "file_name", "lines"]


@dataclass(frozen=True)
class SubjectProfile:
    subject_id: str
    facts: dict  # facts.sql's one row: site, arm, demographics, dates, populations, disposition
    hair_counts: pd.DataFrame
    sessions: pd.DataFrame
    adverse_events: pd.DataFrame
    history: pd.DataFrame  # the audit history, oldest first (HISTORY_COLUMNS)


def _query(store, name: str, params: dict | None = None, *, datasets: bool = False) -> pd.DataFrame:
    cur = store.cursor()
    try:
        if datasets:
            open_datasets(cur)
        return frame(cur, sql_text(f"readers/subject/{name}"), params)
    finally:
        cur.close()


def subject_index(store) -> pd.DataFrame:
    """Every screened subject: site_id, subject_id, arm ('' until randomized), status ('' until it ends)."""
    return _query(store, "index")


def subject_profile(store, subject_id: str) -> SubjectProfile | None:
    """Everything the Subject profile shows of ``subject_id``; None when the study has no such subject."""
    wanted = {"subject": subject_id.strip().upper()}
    facts = _query(store, "facts", wanted, datasets=True)
    if facts.empty:
        return None
    return SubjectProfile(
        subject_id=wanted["subject"],
        facts=facts.iloc[0].to_dict(),
        hair_counts=_query(store, "hair_counts", wanted),
        sessions=_query(store, "sessions", wanted),
        adverse_events=_query(store, "adverse_events", wanted),
        history=audit_history(store, wanted["subject"]),
    )


def _lines(lines: pd.Series) -> str:
    known = sorted(int(x) for x in lines.dropna())
    if not known:
        return ""
    return str(known[0]) if len(known) == 1 else f"{known[0]}–{known[-1]}" if known[-1] - known[0] + 1 == len(known) else ", ".join(map(str, known))


def audit_history(store, subject_id: str) -> pd.DataFrame:
    """Every insert and correction of one subject's records, oldest first.

    An insert is one row per upload and table: the records of the subject it inserted (their key
    when only one, else how many) and the file lines. A record corrected since carries the
    correcting upload, so its inserting upload is the one upload into its table before the first
    correction; when several uploads into that table came before, the row names them all (the
    trail records inserts per upload, not per record). A correction is one row per changed value,
    with old and new value and the reason given.
    """
    subject = {"subject": subject_id.strip().upper()}
    records = _query(store, "records", subject)
    corrections = _query(store, "corrections", subject)
    if records.empty and corrections.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    inserts = _query(store, "insert_entries", {"tables": sorted(set(records.table_name) | set(corrections.table_name))})
    first_fix = corrections.groupby(["table_name", "record_key"]).upload_id.min().to_dict()

    def inserted_by(record) -> tuple[int, ...]:
        fixed = first_fix.get((record.table_name, record.record_key))
        if fixed is None:
            return (int(record.upload_id),)
        before = inserts[(inserts.table_name == record.table_name) & (inserts.upload_id < fixed)].upload_id
        return tuple(sorted(int(u) for u in before)) or (int(record.upload_id),)

    records["by"] = [inserted_by(r) for r in records.itertuples(index=False)]
    records["line"] = [r.source_line if r.by == (int(r.upload_id),) else None for r in records.itertuples(index=False)]
    rows = []
    for (table, by), mine in records.groupby(["table_name", "by"], sort=False):
        entry = inserts[(inserts.table_name == table) & (inserts.upload_id == by[-1])]
        entry = entry.iloc[0] if len(entry) else None
        rows.append({
            "changed_at": entry.changed_at if entry is not None else pd.NaT,
            "user_name": entry.user_name if entry is not None else "",
            "action": "INSERT",
            "table_name": table,
            "record": mine.record_key.iloc[0] if len(mine) == 1 else f"{len(mine)} records",
            "column_name": "", "old_value": "", "new_value": "",
            "reason": (entry.reason if entry is not None and isinstance(entry.reason, str) else ""),
            "upload": " or ".join(str(u) for u in by),
            "file_name": entry.file_name if entry is not None else "",
            "lines": _lines(mine.line),
            "_order": entry.audit_id if entry is not None else 0,
        })
    for c in corrections.itertuples(index=False):
        rows.append({
            "changed_at": c.changed_at, "user_name": c.user_name, "action": "CORRECT", "table_name": c.table_name,
            "record": c.record_key, "column_name": c.column_name or "",
            "old_value": "" if c.old_value is None else c.old_value, "new_value": "" if c.new_value is None else c.new_value,
            "reason": c.reason if isinstance(c.reason, str) else "", "upload": str(c.upload_id), "file_name": c.file_name or "",
            "lines": "", "_order": c.audit_id,
        })
    history = pd.DataFrame(rows).sort_values(["_order", "table_name"], kind="stable")
    return history[HISTORY_COLUMNS].reset_index(drop=True)
