"""The audit trail: who did what, when and why; the old and new value of every correction.

Append-only and hash-chained: every row is written through :func:`record`, which stores the hash
of the row's content and of the row before it, and keeps the chain's head (last hash and row
count) in ``meta``. :func:`verify` recomputes the chain, so a row changed, deleted or slipped in
directly in DuckDB is found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

import pandas as pd

from trial.sqlfiles import sql_text

if TYPE_CHECKING:
    from trial.store import Store

GENESIS = "0" * 64
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Event:
    """One row of the audit trail, as its writer knows it (the time and the hashes are added)."""

    user_name: str
    action: str  # INIT, INSERT, CORRECT, SIGN_IN, SIGN_IN_FAILED, LOCK, UNLOCK, QUERY_*, UNBLIND, EXPORT, …
    table_name: str | None = None
    record_key: str | None = None
    column_name: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    reason: str | None = None
    upload_id: int | None = None


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _row_hash(prev_hash: str, micros: int, fields: tuple) -> str:
    content = json.dumps([prev_hash, micros, *fields], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _head(cur) -> tuple[str, int]:
    rows = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('audit_head', 'audit_rows')").fetchall())
    return rows.get("audit_head", GENESIS), int(rows.get("audit_rows", 0))


def record(cur, events: Iterable[Event], *, at: dt.datetime | None = None) -> None:
    """Append ``events`` to the audit trail on ``cur`` (inside the caller's transaction)."""
    events = list(events)
    if not events:
        return
    moment = at or dt.datetime.now(dt.UTC)
    micros = _micros(moment)
    prev, count = _head(cur)
    rows = []
    for event in events:
        fields = astuple(event)
        row_hash = _row_hash(prev, micros, fields)
        rows.append((moment, *fields, prev, row_hash))
        prev = row_hash
    cur.executemany(
        """
        INSERT INTO audit_trail (changed_at, user_name, action, table_name, record_key, column_name,
                                 old_value, new_value, reason, upload_id, prev_hash, row_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )
    _set_head(cur, prev, count + len(rows))


def _set_head(cur, head: str, count: int) -> None:
    cur.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("audit_head", head), ("audit_rows", str(count))])


def _chain_rows(cur) -> list[tuple]:
    return cur.execute(
        """
        SELECT audit_id, epoch_us(changed_at), user_name, action, table_name, record_key, column_name,
               old_value, new_value, reason, upload_id, prev_hash, row_hash
        FROM audit_trail ORDER BY audit_id
        """
    ).fetchall()


def seal_existing(cur) -> None:
    """Hash the rows written before the chain existed (the migration that adds it calls this)."""
    prev = GENESIS
    sealed = []
    for audit_id, micros, *fields, _, _ in _chain_rows(cur):
        row_hash = _row_hash(prev, micros, tuple(fields))
        sealed.append((prev, row_hash, audit_id))
        prev = row_hash
    if sealed:
        cur.executemany("UPDATE audit_trail SET prev_hash = ?, row_hash = ? WHERE audit_id = ?", sealed)
    _set_head(cur, prev, len(sealed))


def verify(store: Store) -> list[str]:
    """Recompute the chain; returns one sentence per problem found (none: the trail is intact)."""
    cur = store.cursor()
    try:
        rows = _chain_rows(cur)
        head, count = _head(cur)
    finally:
        cur.close()
    problems = []
    prev = GENESIS
    for audit_id, micros, *fields, prev_hash, row_hash in rows:
        expected = _row_hash(prev, micros, tuple(fields))
        if prev_hash != prev:
            problems.append(f"audit row {audit_id}: the row before it was changed, removed or added")
        elif row_hash != expected:
            problems.append(f"audit row {audit_id}: its content was changed after it was written")
        prev = row_hash if row_hash else expected
        if len(problems) >= 20:
            problems.append("… (stopped after 20 problems)")
            return problems
    if prev != head or len(rows) != count:
        problems.append(f"the trail ends at row {rows[-1][0] if rows else 0} with {len(rows)} row(s), "
                        f"but {count} were written: rows were removed or added at its end")
    return problems


def audit_trail(
    store: Store, *, table: str | None = None, subject: str | None = None, upload_id: int | None = None
) -> pd.DataFrame:
    return store.query(
        sql_text("queries/audit_trail"),
        {"table": table, "subject": subject.upper() if subject else None, "upload_id": upload_id},
    )


def record_export(store: Store, user_name: str, what: str, detail: str | None = None) -> None:
    """Note in the trail that ``user_name`` took ``what`` (the pack, a download, the trail itself)
    out of the system. Not a change of the data: cached pages stay as they are."""
    with store.transaction(data_change=False) as cur:
        record(cur, [Event(user_name, "EXPORT", new_value=what, reason=detail)])
