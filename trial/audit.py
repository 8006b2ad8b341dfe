"""The audit trail: who changed what, when and why; old and new value of every correction."""

from __future__ import annotations

import pandas as pd

from trial.sqlfiles import sql_text
from trial.store import Store


def audit_trail(
    store: Store, *, table: str | None = None, subject: str | None = None, upload_id: int | None = None
) -> pd.DataFrame:
    return store.query(
        sql_text("queries/audit_trail"),
        {"table": table, "subject": subject.upper() if subject else None, "upload_id": upload_id},
    )
