"""The upload log and the findings of each upload, for people and tools to read."""

from __future__ import annotations

import pandas as pd

from trial.errors import NotFound
from trial.store import Store
from trial.store.sqlfiles import sql_text


def list_uploads(store: Store, limit: int = 50) -> pd.DataFrame:
    return store.query(sql_text("readers/uploads"), {"limit": limit})


def upload_record(store: Store, upload_id: int) -> dict:
    rows = store.query("SELECT * FROM uploads WHERE upload_id = $id", {"id": upload_id})
    if rows.empty:
        raise NotFound(f"there is no upload {upload_id}; `trial uploads` lists them")
    return rows.iloc[0].to_dict()


def upload_findings(store: Store, upload_id: int) -> pd.DataFrame:
    upload_record(store, upload_id)
    return store.query(sql_text("readers/upload_findings"), {"upload_id": upload_id})
