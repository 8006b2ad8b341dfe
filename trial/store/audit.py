"""Writing the audit trail: who did what, when and why; the old and new value of every correction.

Append-only and hash-chained: every row is written through :func:`record`, which stores the hash
of the row's content and of the row before it, and keeps the chain's head (last hash and row
count) in ``meta``. A write's row seals (:mod:`trial.store.seals`) are stored with its first audit row,
whose hash covers their count and digest. :func:`chain_problems` recomputes the chain, so a row
changed, deleted or slipped in directly in DuckDB is found; :mod:`trial.governance.integrity`
checks the whole study, and :mod:`trial.governance.trail` reads the trail for people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass

import pyarrow as pa

from trial.store import seals

GENESIS = "0" * 64
SYSTEM = "trial"  # who the trail names for what the software does by itself (an upgrade's seals)
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


def _row_hash(prev_hash: str, micros: int, fields: tuple, sealed: tuple[int, str] | None = None) -> str:
    """The chain hash of one row; the seals' count and digest are part of it when the row has them
    (rows written before seals existed keep their hashes)."""
    content = [prev_hash, micros, *fields, *(sealed or ())]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(cur) -> tuple[str, int]:
    rows = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('audit_head', 'audit_rows')").fetchall())
    return rows.get("audit_head", GENESIS), int(rows.get("audit_rows", 0))


def record(cur, events: Iterable[Event], *, at: dt.datetime | None = None) -> None:
    """Append ``events`` to the audit trail on ``cur`` (inside the caller's transaction); the seals
    the write made so far are stored under the first of them."""
    events = list(events)
    sealed = seals.pending(cur)
    if not events:
        if sealed:
            raise RuntimeError("a write sealed rows but recorded no audit row for them")
        return
    moment = at or dt.datetime.now(dt.UTC)
    micros = _micros(moment)
    prev, count = _head(cur)
    # numbered inside the transaction, not by the sequence (which a rolled-back write, such as a
    # checked file that is not loaded, would use up): an auditor reads the rows without gaps
    first = cur.execute("SELECT coalesce(max(audit_id), 0) + 1 FROM audit_trail").fetchall()[0][0]
    if sealed and sealed[0] != first:
        raise RuntimeError(f"the write's seals wait for audit row {sealed[0]}, but the next row is {first}")
    rows = []
    for audit_id, event in enumerate(events, start=first):
        fields = astuple(event)
        with_seals = sealed[1:] if sealed and audit_id == first else None
        row_hash = _row_hash(prev, micros, fields, with_seals)
        rows.append((audit_id, moment, *fields, prev, row_hash, *(with_seals or (None, None))))
        prev = row_hash
    # through Arrow, not executemany, which DuckDB runs a row at a time (1,200 corrected cells: 1.2 s)
    columns = list(zip(*rows, strict=True))
    cur.register("_new_audit_rows", pa.table([pa.array(values, type) for values, type in zip(columns, _ROW_TYPES, strict=True)],
                                            names=_ROW_COLUMNS))
    try:
        cur.execute(f"INSERT INTO audit_trail ({', '.join(_ROW_COLUMNS)}) SELECT * FROM _new_audit_rows")
    finally:
        cur.unregister("_new_audit_rows")
    seals.bound(cur)
    _set_head(cur, prev, count + len(rows))


_ROW_COLUMNS = ["audit_id", "changed_at", "user_name", "action", "table_name", "record_key", "column_name", "old_value",
                "new_value", "reason", "upload_id", "prev_hash", "row_hash", "seal_count", "seal_digest"]
_ROW_TYPES = [pa.int64(), pa.timestamp("us", tz="UTC"), *[pa.string()] * 8, pa.int64(), pa.string(), pa.string(), pa.int64(),
              pa.string()]


def _set_head(cur, head: str, count: int) -> None:
    cur.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("audit_head", head), ("audit_rows", str(count))])


_CHAIN_COLUMNS = ("audit_id, epoch_us(changed_at), user_name, action, table_name, record_key, column_name, "
                  "old_value, new_value, reason, upload_id")


def _chain_rows(cur) -> list[tuple]:
    """Every row as the chain hashes it: id, time, the event's fields, (seal count, seal digest),
    prev_hash, row_hash."""
    return cur.execute(
        f"SELECT {_CHAIN_COLUMNS}, seal_count, seal_digest, prev_hash, row_hash FROM audit_trail ORDER BY audit_id"
    ).fetchall()


def seal_existing(cur) -> None:
    """Hash the rows written before the chain existed (the migration that adds it calls this;
    the trail has no seal columns yet)."""
    prev = GENESIS
    sealed = []
    for audit_id, micros, *fields in cur.execute(f"SELECT {_CHAIN_COLUMNS} FROM audit_trail ORDER BY audit_id").fetchall():
        row_hash = _row_hash(prev, micros, tuple(fields))
        sealed.append((prev, row_hash, audit_id))
        prev = row_hash
    if sealed:
        cur.executemany("UPDATE audit_trail SET prev_hash = ?, row_hash = ? WHERE audit_id = ?", sealed)
    _set_head(cur, prev, len(sealed))


def seal_existing_records(cur) -> None:
    """Seal everything an older database already holds (the migration that adds seals calls this):
    what is there is taken as the audited state, under one audit row."""
    if not cur.execute("SELECT count(*) FROM audit_trail").fetchall()[0][0]:
        return  # a database being created: nothing written yet
    present = seals.existing_tables(cur)
    for table in seals.SEALED:
        if table in present:
            seals.added(cur, table)
    found = seals.unbound(cur)
    if found:
        record(cur, [Event(SYSTEM, "SEAL_EXISTING", new_value=f"{found:,} records sealed on upgrade")])


def head(cur) -> tuple[str, int]:
    """The chain's last hash and its number of rows, as the trail holds them (an anchor)."""
    rows = cur.execute("SELECT row_hash, count(*) OVER () FROM audit_trail ORDER BY audit_id DESC LIMIT 1").fetchall()
    return (rows[0][0], int(rows[0][1])) if rows else (GENESIS, 0)


def chain_problems(cur) -> Iterator[str]:
    """Recompute the chain on ``cur``: one sentence per problem found (none: the chain is intact)."""
    return problems_in_chain(_chain_rows(cur), *_head(cur))


def problems_in_chain(rows: list[tuple], written_head: str, count: int) -> Iterator[str]:
    """Recompute the chain of ``rows`` (as :func:`_chain_rows` gives them, from either engine) against
    the head and row count the trail keeps: one sentence per problem found."""
    prev = GENESIS
    for audit_id, micros, *fields, seal_count, seal_digest, prev_hash, row_hash in rows:
        sealed = None if seal_digest is None else (seal_count, seal_digest)
        expected = _row_hash(prev, micros, tuple(fields), sealed)
        if prev_hash != prev:
            yield f"audit row {audit_id}: the row before it was changed, removed or added"
        elif row_hash != expected:
            yield f"audit row {audit_id}: its content was changed after it was written"
        prev = row_hash if row_hash else expected
    if prev != written_head or len(rows) != count:
        yield (f"the trail ends at row {rows[-1][0] if rows else 0} with {len(rows)} row(s), "
               f"but {count} were written: rows were removed or added at its end")
