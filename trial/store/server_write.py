"""A write on PostgreSQL: the business code writes its mirror, and what it wrote is replayed as the role.

Inside :meth:`trial.store.server.ServerStore.transaction` the study's code runs unchanged on a DuckDB
cursor of the mirror (the rows the role may read, copied after the study's write lock was taken).
On commit, :func:`replay` writes to PostgreSQL, in the same database transaction and as the role, what
that code added to the mirror:

- **an upload**: its archived file, log entry and findings, then its rows: those the mirror stamped
  with the new upload (new rows and corrected ones) are copied into a temporary table, corrected
  where their key is in the study (only the columns the role may read: a withheld column is never
  overwritten with the mirror's NULL), inserted where it is not. ``trial.context`` names the upload,
  its file and reason, so the database's triggers write the trail's INSERT and CORRECT rows, each with
  the acting role's name, exactly as for any other client;
- **any other table it changed** (an account's failed sign-ins, a session; a query, the lock): the
  rows it added or changed, by the table's primary key, are upserted, and those it removed deleted,
  as the role, so the database's grants and policies decide (a role without the right is refused
  with a sentence, and nothing of the write is kept). ``trial.context`` marks the changes as the
  system's, and the tables' triggers audit them;
- **the trail's other rows** (a sign-in, an export, a rejected file's UPLOAD row): through
  ``trial_record``, in the role's own name, at the database's clock.

The mirror's own transaction is always rolled back; the next read copies the study again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import psycopg
from psycopg import sql

from schemas import DOMAINS
from trial.errors import TrialError
from trial.store import copy_binary
from trial.store.sqlfiles import quoted_name

UPLOAD_TABLES = ("uploads", "findings", "upload_files")
NOT_REPLAYED = ("meta", "row_seals")  # the mirror's own bookkeeping: the head, seals of the embedded store
TRIGGER_WRITTEN = ("INSERT", "CORRECT")  # the trail rows the database's triggers write for a domain table
BATCH = 50_000


@dataclass(frozen=True)
class Before:
    """The mirror as a write found it: the last upload number the study holds (those the role cannot
    read included), the last trail row the mirror holds, and a fingerprint of every other table."""

    last_upload: int
    last_audit: int
    fingerprints: dict[str, tuple]


def _fingerprint(cur: duckdb.DuckDBPyConnection, table: str) -> tuple:
    return cur.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t").fetchall()[0]


def begin(cur: duckdb.DuckDBPyConnection, con: psycopg.Connection) -> Before:
    """Note the mirror's state at the start of a write on ``cur``; the study's next upload number is
    kept in the mirror's meta (``uploads_before``), where :func:`trial.ingest.record.log_upload` finds it."""
    last_upload = con.execute("SELECT trial_last_upload()").fetchone()[0]
    cur.execute("INSERT OR REPLACE INTO meta VALUES ('uploads_before', $n)", {"n": str(last_upload)})
    tables = [t for (t,) in cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    others = [t for t in tables if t not in (*UPLOAD_TABLES, *DOMAINS, *NOT_REPLAYED, "audit_trail")]
    return Before(last_upload, cur.execute("SELECT coalesce(max(audit_id), 0) FROM audit_trail").fetchall()[0][0],
                  {t: _fingerprint(cur, t) for t in others})


def replay(cur: duckdb.DuckDBPyConnection, committed: duckdb.DuckDBPyConnection, con: psycopg.Connection, before: Before,
           readable: dict[str, list[str]]) -> None:
    """Write to PostgreSQL, on ``con`` (in its transaction, as the role), what the code wrote to the
    mirror on ``cur``; ``committed`` is another cursor of the mirror, which sees it as it was."""
    changed = [t for t, print_ in before.fingerprints.items() if _fingerprint(cur, t) != print_]
    if changed:
        con.execute("SELECT set_config('trial.context', '{}', true)")
        for table in changed:
            _replay_table(cur, committed, con, table, readable.get(table, []))
    uploads = cur.execute("SELECT * FROM uploads WHERE upload_id > $n ORDER BY upload_id", {"n": before.last_upload})
    columns = [d[0] for d in uploads.description]
    for row in uploads.fetchall():
        _replay_upload(cur, con, dict(zip(columns, row, strict=True)), readable)
    con.execute("SELECT set_config('trial.context', '', true)")
    rows = cur.execute("SELECT user_name, action, table_name, record_key, column_name, old_value, new_value, reason, upload_id "
                       "FROM audit_trail WHERE audit_id > $n AND NOT (list_contains($written, action) AND "
                       "list_contains($domains, coalesce(table_name, ''))) ORDER BY audit_id",
                       {"n": before.last_audit, "written": list(TRIGGER_WRITTEN), "domains": list(DOMAINS)}).fetchall()
    for event in rows:
        con.execute("SELECT trial_record(%s, %s, %s, %s, %s, %s, %s, %s, %s)", event)


def _replay_upload(cur: duckdb.DuckDBPyConnection, con: psycopg.Connection, upload: dict, readable: dict[str, list[str]]) -> None:
    upload_id = upload["upload_id"]
    con.execute("SELECT set_config('trial.context', %s, true)",
                (json.dumps({"upload_id": upload_id, "file": upload["file_name"], "reason": upload["reason"]}),))
    stored = cur.execute("SELECT sha256, codec, size_bytes, content FROM upload_files WHERE sha256 = $s",
                         {"s": upload["sha256"]}).fetchall()
    for file in stored:
        con.execute("SELECT trial_archive(%s, %s, %s, %s)", file)
    _insert(con, "uploads", list(upload), [tuple(upload.values())])
    con.execute(sql.SQL("INSERT INTO findings SELECT * FROM {}").format(_stage(cur, con, "findings", f"upload_id = {int(upload_id)}")))
    domain = upload["domain"]
    if domain in DOMAINS and cur.execute(f"SELECT count(*) FROM {domain} WHERE upload_id = $u", {"u": upload_id}).fetchall()[0][0]:
        _replay_rows(cur, con, domain, upload_id, readable.get(domain, []), all_new=not upload["rows_corrected"])


def _replay_rows(cur, con: psycopg.Connection, domain: str, upload_id: int, readable: list[str], *, all_new: bool) -> None:
    """The upload's new and corrected rows: corrected where the key is in the study, else inserted. An
    upload that corrected nothing only inserts (the anti-join against the table cost a third of the
    write; a key another site holds is still refused, by the table's unique index)."""
    table, incoming = sql.Identifier(domain), _stage(cur, con, domain, f"upload_id = {int(upload_id)}")
    if all_new:
        con.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(table, incoming))
        return
    key = DOMAINS[domain].key
    match = sql.SQL(" AND ").join(sql.SQL("t.{0} = i.{0}").format(sql.Identifier(c)) for c in key)
    changed = [c for c in readable if c not in key] + [c for c in ("upload_id", "source_line") if c not in readable]
    con.execute(sql.SQL("UPDATE {} AS t SET {} FROM {} AS i WHERE {}").format(
        table, sql.SQL(", ").join(sql.SQL("{0} = i.{0}").format(sql.Identifier(c)) for c in changed), incoming, match))
    con.execute(sql.SQL("INSERT INTO {} SELECT i.* FROM {} AS i WHERE NOT EXISTS (SELECT 1 FROM {} AS t WHERE {})").format(
        table, incoming, table, match))


def _replay_table(cur, committed, con: psycopg.Connection, table: str, readable: list[str]) -> None:
    """The rows of a table (not a domain's) that the write added, changed or removed, by its primary
    key: inserted, updated (only the columns that changed: a role may update no more), deleted. Only
    the columns the role may read are written: a withheld column, NULL in the mirror, is never written
    over. A new key the study holds already (a row the role cannot see) is refused, never overwritten."""
    key = _primary_key(cur, table)
    columns = [c for c in _mirror_columns(cur, table) if c in readable]
    if not key or not set(key) <= set(columns):
        raise TrialError(f"That write changes the table {table}, which the server edition does not write yet: nothing was changed.")
    names = ", ".join(quoted_name(c) for c in columns)
    on_key = " AND ".join(f"n.{quoted_name(c)} = o.{quoted_name(c)}" for c in key)
    others = [c for c in columns if c not in key]
    cur.register("_committed", committed.sql(f"SELECT {names} FROM {table}").to_arrow_table())
    try:
        added = cur.execute(f"SELECT {names} FROM {table} AS n WHERE NOT EXISTS (SELECT 1 FROM _committed AS o WHERE {on_key})").fetchall()
        removed = cur.execute(f"SELECT {', '.join(f'o.{quoted_name(c)}' for c in key)} FROM _committed AS o "
                              f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS n WHERE {on_key})").fetchall()
        pairs = f"FROM {table} AS n JOIN _committed AS o ON {on_key}"
        changed = [c for c in others if cur.execute(
            f"SELECT count(*) {pairs} WHERE n.{quoted_name(c)} IS DISTINCT FROM o.{quoted_name(c)}").fetchall()[0][0]]
        updated = cur.execute(f"SELECT {', '.join(f'n.{quoted_name(c)}' for c in (*changed, *key))} {pairs} WHERE "
                              + " OR ".join(f"n.{quoted_name(c)} IS DISTINCT FROM o.{quoted_name(c)}" for c in changed)).fetchall() if changed else []
    finally:
        cur.unregister("_committed")
    target = sql.Identifier(table)
    match = sql.SQL(" AND ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder()) for c in key)
    if removed:
        con.cursor().executemany(sql.SQL("DELETE FROM {} WHERE {}").format(target, match), removed)
    if updated:
        con.cursor().executemany(sql.SQL("UPDATE {} SET {} WHERE {}").format(target, sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder()) for c in changed), match), updated)
    if added:
        _insert(con, table, columns, added)


def _primary_key(cur, table: str) -> list[str]:
    rows = cur.execute("SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = $t "
                       "AND constraint_type = 'PRIMARY KEY'", {"t": table}).fetchall()
    return list(rows[0][0]) if rows else []


def _mirror_columns(cur, table: str) -> list[str]:
    return [r[0] for r in cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
                                      "AND table_name = $t ORDER BY ordinal_position", {"t": table}).fetchall()]


def _insert(con: psycopg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    con.cursor().executemany(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns))), rows)


def _stage(cur: duckdb.DuckDBPyConnection, con: psycopg.Connection, table: str, where: str) -> sql.Identifier:
    """The mirror's rows of ``table`` that match ``where``, copied (binary COPY, in batches) into a temporary
    table of the database with the same columns, dropped at commit; its name. (COPY cannot write a
    table under row-level security: the rows go on from the temporary table by INSERT … SELECT, where
    the policies check them.)"""
    staged = sql.Identifier(f"trial_staged_{table}")
    types = con.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
                        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,)).fetchall()
    con.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(staged))
    con.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(staged, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in types)))
    names = [name for name, _ in types]
    rows = cur.sql(f"SELECT {', '.join(quoted_name(n) for n in names)} FROM {table} WHERE {where}").to_arrow_reader(BATCH)
    kinds = [kind for _, kind in types]
    with con.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(staged)) as copy:
        copy.write(copy_binary.HEADER)
        for batch in rows:
            copy.write(copy_binary.rows(batch, kinds))
        copy.write(copy_binary.TRAILER)
    return staged


def refusal(exc: psycopg.Error, role: str) -> TrialError:
    """What the database refused in a write, in a sentence (never a value it holds)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.errors.UniqueViolation) and exc.diag.table_name in DOMAINS:
        # the detail quotes the uploader's own key: "Key (subject_id)=(…)"
        detail = (exc.diag.message_detail or "").removesuffix(".")
        return TrialError(f"A row of that file has the key of a record the study holds at another site ({detail}): "
                          "nothing was loaded. Check the file's subject ids and visits.")
    return TrialError(f"The database refused {role} that write ({first}): nothing was changed.")
