"""Row seals: what each audited write left in the tables, so that a row changed, added or removed
outside the system is found and named (``trial audit --verify``, see :mod:`trial.governance.integrity`).

A seal is the SHA-256 of one record's canonical content, computed in SQL when a write changes the
record. Writers seal what they write through :func:`added` (new rows) or :func:`rewriting` (rows
updated). The seals go straight into ``row_seals``, under the audit row the write will write first
(the write's first seal reserves its number: the next of the trail, which only
:func:`trial.store.audit.record` extends, inside the same transaction); ``record`` puts their count and
digest in that row, so the seal history is covered by the hash chain. The cost of a write is in the
rows it changes, never in the size of the table.

:data:`SEALED` says which tables are sealed, by which key, without which columns and why;
:data:`EXEMPT` which tables are not and why. A table in neither fails a test, so a table added
later cannot be forgotten. Columns are read from the live table: a column added later is sealed
too, and one that is NULL does not change a row's hash (NULL cells are left out of the content);
a migration that drops, moves or retypes a sealed column must reseal that table under an audit row.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from schemas import DOMAINS
from trial.errors import TrialError
from trial.store.versions import COUNTERS

_BEFORE = "_seals_before"  # temporary: the records a rewrite is about to change, as they were
_BATCH = 65_536  # seals read at a time when hashing a digest
_calls = itertools.count(1)


@dataclass
class _Write:
    """The sealing of one write in progress: the audit row its seals go under, its sealing calls
    so far, and how many seals it has stored."""

    audit_id: int
    steps: int = 0
    seals: int = 0


# cursor → its write in progress (a write's cursor serves that write only; its audit row ends it)
_writes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Sealed:
    """How one table is sealed: the columns naming a record (``key``), the columns left out and
    why, the rows left out and why (an SQL condition on the table's own columns, alias ``t``).
    ``grouped``: the key names a group of rows sealed together (the findings of one upload)."""

    key: tuple[str, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)
    rows: str = "TRUE"
    rows_reason: str | None = None
    grouped: bool = False
    label: str = "{table} {key}"

    def name(self, table: str, key: str) -> str:
        """How a sentence names one record: ``hair_counts S01-001 / WEEK_4 / TARGET``."""
        return self.label.format(table=table, key=key)


SEALED: dict[str, Sealed] = {
    **{name: Sealed(domain.key) for name, domain in DOMAINS.items()},
    "meta": Sealed(
        ("key",),
        rows=f"t.key NOT IN {(*COUNTERS, 'audit_head', 'audit_rows', 'schema_version')}",
        rows_reason="data_version and work_version are the cache counters writes bump; audit_head and audit_rows repeat the "
        "chain's own end, which verify recomputes from the chain; schema_version is the migrations' bookkeeping, "
        "checked when the database is opened",
    ),
    "study_sites": Sealed(("site_id",)),
    "study_arms": Sealed(("arm",)),
    "study_visits": Sealed(("visit",)),
    "study_regions": Sealed(("region",)),
    "study_coding": Sealed(("pt",)),
    "study_parameters": Sealed(("name",)),
    "uploads": Sealed(("upload_id",)),
    "upload_files": Sealed(("sha256",)),
    "findings": Sealed(("upload_id",), grouped=True, label="the findings of upload {key}"),
    "users": Sealed(
        ("user_name",),
        excluded={
            "failed_attempts": "the sign-in lock-out's counter, rewritten at every sign-in attempt; each attempt is "
            "itself a chained audit row (SIGN_IN, SIGN_IN_FAILED)",
            "locked_until": "set and cleared with failed_attempts by the sign-in lock-out, as above",
        },
    ),
    "user_sessions": Sealed(("token_hash",)),
    "lock_history": Sealed(("lock_id",)),
    "data_queries": Sealed(("query_id",)),
    "query_messages": Sealed(("query_id", "seq")),
    "unblindings": Sealed(("unblinding_id",)),
}

EXEMPT: dict[str, str] = {
    "audit_trail": "the hash chain itself: every row holds the hash of its content and of the row before it, and "
    "verify recomputes them (an anchor kept elsewhere catches a consistent rewrite)",
    "row_seals": "the seal history: each write's seals are covered by the count and digest in its chained audit row, "
    "which verify recomputes",
}


# --------------------------------------------------------------------------- canonical content
def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(column: str, data_type: str) -> str:
    """A column's value as text, the same on every machine and time zone (NULL stays NULL)."""
    c = f"t.{_quoted(column)}"
    if data_type.startswith("TIMESTAMP"):
        return f"CAST(epoch_us({c}) AS VARCHAR)"
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        return f"printf('%.17g', {c})"  # round-trips exactly, whatever DuckDB's own formatting does
    if data_type == "BLOB":
        return f"sha256({c})"
    if data_type == "VARCHAR[]":
        return f"'[' || array_to_string(list_transform({c}, lambda x: coalesce(length(x) || ':' || x, '~')), ',') || ']'"
    if data_type == "VARCHAR":
        return c
    return f"CAST({c} AS VARCHAR)"


def sealed_columns(cur, table: str) -> list[tuple[int, str, str]]:
    """(position, name, type) of the columns sealed in ``table``, in the table's order."""
    excluded = SEALED[table].excluded
    rows = cur.execute(
        "SELECT column_index, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $t ORDER BY column_index",
        {"t": table},
    ).fetchall()
    return [(p, n, d) for p, n, d in rows if n not in excluded]


def mark_bits(count: int) -> int:
    """Bits of each column's fingerprint in a row's marks (64 bits shared by the columns)."""
    return min(32, max(1, 64 // max(count, 1)))


def _row_sql(table: str, columns: list[tuple[int, str, str]], where: str) -> str:
    """Each row of ``table`` that ``where`` names: its record key, the hash of its content, its
    marks (a few bits of every column's hash, which name the column that changed) and its row id
    (``o``: unique in the table, a number for its seal)."""
    entry = SEALED[table]
    types = {n: d for _, n, d in columns}
    key = "concat_ws(' / ', " + ", ".join(f"coalesce(CAST(t.{_quoted(k)} AS VARCHAR), '')" for k in entry.key) + ")"
    parts = ", ".join(f"'{p}:' || length({_text(n, d)}) || ':' || {_text(n, d)}" for p, n, d in columns)
    bits = mark_bits(len(columns))
    marks = " | ".join(
        f"((hash({_text(n, types[n])}) & {(1 << bits) - 1}) << {(i * bits) % 64})" for i, (_, n, _) in enumerate(columns)
    )
    return (
        f"SELECT {key} AS record_key, unhex(sha256(concat({parts}))) AS h, CAST({marks} AS UBIGINT) AS m, t.rowid AS o "
        f"FROM main.{_quoted(table)} AS t WHERE ({entry.rows}) AND ({where})"
    )


def records_sql(cur, table: str, where: str = "TRUE", columns: list[tuple[int, str, str]] | None = None) -> str:
    """The records of ``table`` that ``where`` names, one per key: how many rows have that key, their
    hash and marks. A grouped table's record is its rows together (the hash of their sorted hashes).
    In any other table a key is one row; a second row with it (slipped in) shows in the count.
    ``columns``: :func:`sealed_columns` of the table, when the caller has them."""
    columns = sealed_columns(cur, table) if columns is None else columns
    rows = _row_sql(table, columns, where)
    if SEALED[table].grouped:
        return (
            "SELECT record_key, CAST(count(*) AS INTEGER) AS rows, "
            "unhex(sha256(string_agg(hex(h), '' ORDER BY h))) AS row_hash, CAST(NULL AS UBIGINT) AS marks "
            f"FROM ({rows}) GROUP BY record_key"
        )
    return (
        "SELECT record_key, CAST(count(*) AS INTEGER) AS rows, any_value(h) AS row_hash, "
        f"CASE WHEN count(*) = 1 THEN any_value(m) END AS marks FROM ({rows}) GROUP BY record_key"
    )


# --------------------------------------------------------------------------- writing seals
def _next_step(cur) -> _Write:
    """The cursor's write, one sealing call further (its first call reserves the audit row)."""
    write = _writes.get(cur)
    if write is None:
        audit_id = cur.execute("SELECT coalesce(max(audit_id), 0) + 1 FROM audit_trail").fetchall()[0][0]
        write = _writes[cur] = _Write(int(audit_id))
    write.steps += 1
    return write


def _staged(cur, write: _Write, sql: str, params: dict) -> int:
    """Run an INSERT INTO row_seals whose SELECT numbers its seals (``ord``) uniquely within its step
    (from ``$first`` on, or by row id), so that a digest sorts integers, not keys; how many it stored.
    The numbers follow no order of the keys (sorting a large file's keys cost more than hashing its
    rows): a write's digest is of its seals by step and number, and verify reads them in that order."""
    numbers = {"audit": write.audit_id, "step": write.steps} | ({"first": write.seals} if "$first" in sql else {})
    inserted = cur.execute(sql, params | numbers).fetchall()[0][0]
    write.seals += inserted
    return inserted


def _unsealed(cur) -> bool:
    """Whether ``cur`` writes a copy of a study on PostgreSQL (its meta names the engine): nothing is
    sealed there, the database audits every change of its tables itself (:mod:`trial.store.server_write`)."""
    return cur.execute("SELECT count(*) FROM meta WHERE key = 'engine' AND value = 'postgresql'").fetchall()[0][0] > 0


def added(cur, table: str, where: str = "TRUE", params: dict | None = None, *, expected: int | None = None) -> None:
    """Seal the rows of ``table`` that the write has just added; ``where`` (an SQL condition on the
    table, alias ``t``, with ``$name`` parameters) names them and no others.

    ``expected``: how many rows the write added, each with a key of its own (a loader's new rows,
    checked for duplicate keys). Each row is then sealed as it is, without grouping the rows by key
    (which costs a third of the sealing of a large file), and a count that differs means that rows
    ``where`` names were there before the write: slipped in outside the system, they would be sealed
    as the write's own, so the write is refused."""
    if _unsealed(cur):
        return
    write = _next_step(cur)
    params = params or {}
    if expected is None:
        source = records_sql(cur, table, where)
        select = "record_key, rows, row_hash, marks"
    else:
        source = _row_sql(table, sealed_columns(cur, table), where)
        select = "record_key, 1, h, m"  # numbered by row id: a window numbering the rows would run on one core
    stored = _staged(
        cur, write,
        f"INSERT INTO row_seals SELECT $audit, {'o' if expected is not None else '$first + row_number() OVER ()'}, $step, $table, "
        f"{select}, NULL FROM ({source})",
        params | {"table": table},
    )
    if expected is not None and stored != expected:
        raise TrialError(
            f"{table} holds {stored - expected:,} more row(s) under this write's number than it wrote: they were put there "
            "outside the system beforehand. Nothing was written; tell the data manager (trial audit --verify names them)."
        )


@contextlib.contextmanager
def rewriting(cur, table: str, where: str, params: dict | None = None) -> Iterator[None]:
    """Seal what the block changes among the records of ``table`` that ``where`` names (before and
    after the block: rows it adds are named too). Each changed record's seal keeps its hash from
    just before the write, so that an edit made outside the system and then written over is still
    found (verify compares it with the record's previous seal); a record the block leaves as it
    was is not sealed again, so an outside edit to it stays visible."""
    if _unsealed(cur):
        yield
        return
    params = params or {}
    call = next(_calls)
    write = _next_step(cur)
    columns = sealed_columns(cur, table)
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_BEFORE} (call BIGINT, record_key VARCHAR, rows INTEGER, row_hash BLOB)")
    cur.execute(f"INSERT INTO {_BEFORE} SELECT $call, record_key, rows, row_hash FROM ({records_sql(cur, table, where, columns)})",
                params | {"call": call})
    yield
    _staged(
        cur, write,
        f"""
        INSERT INTO row_seals
        SELECT $audit, $first + row_number() OVER (), $step, $table, record_key, rows, row_hash, marks, prior_hash
        FROM (
            SELECT coalesce(a.record_key, b.record_key) AS record_key, coalesce(a.rows, 0) AS rows, a.row_hash, a.marks,
                   b.row_hash AS prior_hash
            FROM ({records_sql(cur, table, where, columns)}) AS a
            FULL JOIN (SELECT * FROM {_BEFORE} WHERE call = $call) AS b ON a.record_key = b.record_key
            WHERE a.row_hash IS DISTINCT FROM b.row_hash OR a.rows IS DISTINCT FROM b.rows
        )
        """,
        params | {"table": table, "call": call},
    )
    cur.execute(f"DELETE FROM {_BEFORE} WHERE call = $call", {"call": call})


def unbound(cur) -> int:
    """How many seals of the write on ``cur`` wait for their audit row."""
    write = _writes.get(cur)
    return write.seals if write else 0


def _seal_text_sql() -> str:
    """One seal (alias ``s``) as text for its write's digest (lengths before the free text: no two
    seals read alike)."""
    s = "s"
    return (
        f"concat({s}.step, '|', length({s}.table_name), ':', {s}.table_name, length({s}.record_key), ':', {s}.record_key, "
        f"'|', {s}.rows, '|', coalesce(hex({s}.row_hash), '-'), '|', coalesce(CAST({s}.marks AS VARCHAR), '-'), '|', "
        f"coalesce(hex({s}.prior_hash), '-'), ';')"
    )


def digests(cur, source: str) -> dict[int, tuple[int, str]]:
    """Per audit_id of ``source`` (SQL giving rows shaped like ``row_seals``): how many seals, and
    the SHA-256 of their texts in their order (``step``, then ``ord``; the writes of older versions
    numbered their seals across steps, so their order is unchanged). Streamed: memory stays bounded
    whatever the number of seals (DuckDB sorts; Python hashes the sorted text as it arrives)."""
    reader = cur.sql(
        f"SELECT audit_id, {_seal_text_sql()} AS text FROM ({source}) AS s ORDER BY audit_id, step, ord"
    ).to_arrow_reader(_BATCH)
    found: dict = {}  # audit_id → (count, running SHA-256)
    for batch in reader:
        ids = batch.column(0).to_numpy(zero_copy_only=False)
        texts = batch.column(1).cast(pa.large_string())
        offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
        data = memoryview(texts.buffers()[2] or b"")
        starts = [0, *(np.flatnonzero(np.diff(ids)) + 1).tolist(), len(ids)]
        for first, end in itertools.pairwise(starts):
            audit_id = int(ids[first])
            count, hasher = found.setdefault(audit_id, (0, hashlib.sha256()))
            hasher.update(data[offsets[first] : offsets[end]])
            found[audit_id] = (count + end - first, hasher)
    return {audit_id: (count, hasher.hexdigest()) for audit_id, (count, hasher) in found.items()}


def pending(cur) -> tuple[int, int, str] | None:
    """The audit row the waiting seals of ``cur`` go under, their count and digest; None when there
    are none."""
    write = _writes.get(cur)
    if not write or not write.seals:
        return None
    count, digest = digests(cur, f"SELECT * FROM row_seals WHERE audit_id = {write.audit_id:d}")[write.audit_id]
    return write.audit_id, count, digest


def bound(cur) -> None:
    """The write's audit row is written (called by :func:`trial.store.audit.record`): its seals are covered."""
    _writes.pop(cur, None)


def existing_tables(cur) -> set[str]:
    """The database's own tables (not the temporary ones)."""
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() "
        "AND NOT temporary"
    ).fetchall()}
