"""A study on PostgreSQL as one account's role reads it: the same SQL as the embedded store, on a mirror.

:class:`ServerStore` connects as the role named in the study's URL, so PostgreSQL's own boundary
(row-level security by site, column privileges for blinding, see :mod:`trial.store.postgres`)
decides what it receives. It copies every row and column that role may select, in one snapshot
(``REPEATABLE READ``), over Arrow (the ADBC PostgreSQL driver, which reads with binary ``COPY``)
into an in-process DuckDB database with the embedded store's tables; a column the role may not
select is NULL there. Everything that reads a :class:`~trial.store.Store` (the analysis datasets, the
ARD, the pages, the pack) then runs unchanged on the mirror: one SQL for both engines, and nothing
in it the role could not have read itself.

The mirror is rebuilt when the study's data version (kept in the database, so every process sees it
move) differs from the one it was copied at. Writes of the trail alone (an export, for instance) go
to the database's ``trial_record``, as the role; other writes do not run on PostgreSQL yet and say so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from functools import cache

import adbc_driver_postgresql.dbapi as adbc
import duckdb
import pandas as pd
import psycopg

from trial.errors import NotATrialDatabase, TrialError
from trial.settings import not_yet_on_server, redacted
from trial.store.database import CONNECTION_CONFIG, MIGRATIONS
from trial.store.sqlfiles import quoted_name, sql_text
from trial.study import Study, parse_study

# what the role may select, column by column (information_schema lists only columns it has some
# privilege on; has_column_privilege says whether SELECT is one of them)
_READABLE = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' AND has_column_privilege(quote_ident(table_name), column_name, 'SELECT')
ORDER BY table_name, ordinal_position
"""


@cache
def _embedded_tables() -> dict[str, list[tuple[str, str]]]:
    """Table → its (column, type) in the embedded store's schema, from its migrations."""
    con = duckdb.connect(":memory:", config=CONNECTION_CONFIG)
    try:
        for name in MIGRATIONS:
            con.execute(sql_text(name))
        rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables


def _sentence(url: str, exc: Exception) -> TrialError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TrialError(f"Could not reach the PostgreSQL study {redacted(url)}: {text}")


def connect(url: str) -> psycopg.Connection:
    """A connection as the URL's role, or a sentence that never quotes the password."""
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.ProgrammingError:  # libpq's reading of the URL, whose message may quote the password
        raise TrialError(f"{redacted(url)} is not a URL PostgreSQL reads: check its query parameters (libpq's "
                         "connection parameters) and that every '%' in it is followed by two hex digits.") from None
    except psycopg.OperationalError as exc:
        raise _sentence(url, exc) from None


class ServerStore:
    """A PostgreSQL study read as the role of its URL; the reading half of :class:`~trial.store.Store`
    (``cursor``, ``query``, ``scalar``, ``study``, ``data_version``, ``cache_key``) and trail-only writes."""

    read_only = True
    path = None
    engine = "postgresql"

    def __init__(self, url: str, con: psycopg.Connection):
        self.url = url
        self.shown = redacted(url)
        self._con = con
        self.role: str = con.execute("SELECT current_user").fetchone()[0]
        self._database: str = con.execute("SELECT current_database()").fetchone()[0]
        self._lock = threading.Lock()
        self._mirror: duckdb.DuckDBPyConnection | None = None
        self._version: int | None = None
        self._study: Study | None = None

    @classmethod
    def open(cls, url: str) -> ServerStore:
        con = connect(url)
        try:
            store = cls(url, con)
            store._check()
            store.refresh()
        except BaseException:
            con.close()
            raise
        return store

    def _check(self) -> None:
        try:
            engine = self._con.execute("SELECT value FROM meta WHERE key = 'engine'").fetchone()
        except psycopg.errors.UndefinedTable:
            raise NotATrialDatabase(f"{self.shown} holds no study: create one there with `trial init --db …`.") from None
        except psycopg.errors.InsufficientPrivilege:
            raise TrialError(f"{self.role} is not an account of the study at {self.shown}: connect as your "
                             "account (its user name and password in the URL).") from None
        if engine is None or engine[0] != "postgresql":
            raise NotATrialDatabase(f"{self.shown} is not a trial study: its meta table names no trial engine.")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._con.close()
        if self._mirror is not None:
            with contextlib.suppress(duckdb.Error):
                self._mirror.close()

    def __enter__(self) -> ServerStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- reading
    def data_version(self) -> int:
        """The study's data version, as the database holds it for every process; the mirror is
        brought up to it."""
        self.refresh()
        return self._version

    def refresh(self) -> None:
        """Copy the role's rows again if the study's data changed since the last copy."""
        with self._lock:
            try:
                version = int(self._con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
            except psycopg.OperationalError as exc:
                raise _sentence(self.url, exc) from None
            if version == self._version and self._mirror is not None:
                return
            mirror, copied_at = self._copy()
            old, self._mirror, self._version, self._study = self._mirror, mirror, copied_at, None
            if old is not None:
                old.close()

    def _copy(self) -> tuple[duckdb.DuckDBPyConnection, int]:
        tables = _embedded_tables()
        mirror = duckdb.connect(":memory:", config=CONNECTION_CONFIG)
        for table, columns in tables.items():  # the embedded tables, without their constraints
            mirror.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
        try:
            with adbc.connect(self.url) as con, con.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cur.execute("SELECT value FROM meta WHERE key = 'data_version'")
                version = int(cur.fetchone()[0])
                cur.execute(_READABLE)
                readable: dict[str, list[str]] = {}
                for table, column in cur.fetchall():
                    readable.setdefault(table, []).append(column)
                for table, columns in readable.items():
                    known = {c for c, _ in tables.get(table, ())}
                    shown = [c for c in columns if c in known]
                    if not shown:
                        continue
                    cur.execute(f"SELECT {', '.join(quoted_name(c) for c in shown)} FROM {quoted_name(table)}")
                    rows = cur.fetch_arrow_table()
                    if rows.num_rows:
                        mirror.register("_copied", rows)
                        mirror.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _copied")
                        mirror.unregister("_copied")
        except adbc.Error as exc:
            mirror.close()
            raise _sentence(self.url, exc) from None
        return mirror, version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._mirror is None:
            self.refresh()
        return self._mirror.cursor()

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        cur = self.cursor()
        try:
            return cur.execute(sql, params or {}).df()
        finally:
            cur.close()

    def scalar(self, sql: str, params: dict | None = None):
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or {}).fetchone()
            return None if row is None else row[0]
        finally:
            cur.close()

    @property
    def study(self) -> Study:
        if self._study is None:
            text = self.scalar("SELECT value FROM meta WHERE key = 'study_toml'")
            self._study = parse_study(text, f"the study definition stored in {self.shown}")
        return self._study

    @property
    def cache_key(self) -> str:
        """The study and the role reading it (the mirror holds that role's rows only)."""
        return f"{redacted(self.url)}#{self.role}"

    # ----------------------------------------------------------------- writing
    @contextlib.contextmanager
    def transaction(self, *, commit: bool = True, data_change: bool = True) -> Iterator[TrailWrite]:
        """A write of the trail alone, in the database's transaction, as the role."""
        write = TrailWrite(self)
        try:
            with self._con.transaction(force_rollback=not commit):
                yield write
        except psycopg.errors.InsufficientPrivilege as exc:
            raise TrialError(f"The database refused {self.role} that write: {str(exc).strip().splitlines()[0]}") from None
        except psycopg.OperationalError as exc:
            raise _sentence(self.url, exc) from None


class TrailWrite:
    """What a write on PostgreSQL may do so far: append to the trail through ``trial_record`` (which
    names the role as the writer and stamps the database's clock). Any other statement is refused
    with a sentence: the study's other writes do not run on PostgreSQL yet."""

    def __init__(self, store: ServerStore):
        self._store = store

    def record_events(self, events: Iterable, at: dt.datetime | None = None) -> None:
        for e in events:
            self._store._con.execute(
                "SELECT trial_record(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (e.user_name, e.action, e.table_name, e.record_key, e.column_name, e.old_value, e.new_value, e.reason,
                 e.upload_id))

    def execute(self, *_args, **_kwargs):
        raise not_yet_on_server(self._store.shown)

    executemany = execute
