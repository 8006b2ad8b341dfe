"""The audit trail as people read it and take it away: the rows a reader may see, and a note in
the trail of every export (the writing of the trail is :mod:`trial.store.audit`)."""

from __future__ import annotations

import pandas as pd

from trial.store import Store
from trial.store.audit import Event, record
from trial.store.sqlfiles import sql_text


def audit_trail(
    store: Store, *, table: str | None = None, subject: str | None = None, upload_id: int | None = None
) -> pd.DataFrame:
    return store.query(
        sql_text("governance/audit_trail"),
        {"table": table, "subject": subject.upper() if subject else None, "upload_id": upload_id},
    )


def record_export(store: Store, user_name: str, what: str, detail: str | None = None) -> None:
    """Note in the trail that ``user_name`` took ``what`` (the pack, a download, the trail itself)
    out of the system. Not a change of the data: cached pages stay as they are."""
    with store.transaction(moves=None) as cur:
        record(cur, [Event(user_name, "EXPORT", new_value=what, reason=detail)])
