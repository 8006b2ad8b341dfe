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
move) differs from the one it was copied at. A write runs the same code on the mirror, and what it
wrote is replayed to the database as the role (:mod:`trial.store.server_write`).

The dashboards sign in as the study's owner (the system's own login) and act as each signed-in
account with ``SET ROLE`` (``acting_as``): PostgreSQL then applies that account's policies and
privileges exactly as if it had signed in itself. The sign-in's own bookkeeping (accounts and
sessions) reads a mirror of those few tables only (``tables``), copied again whenever a session
starts or ends in any process.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import cache

import adbc_driver_postgresql.dbapi as adbc
import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql

from schemas import domain_named
from trial.errors import NotATrialDatabase, TrialError
from trial.settings import redacted
from trial.store import postgres, postgres_accounts, server_write
from trial.store.database import CONNECTION_CONFIG, MIGRATIONS
from trial.store.reading import CursorReads
from trial.store.versions import COUNTERS, DATA
from trial.store.sqlfiles import key_match, quoted_name, sql_text
from trial.study import Study

# what the role may select, column by column: by the tables' and columns' numbers, never their names
# (has_column_privilege by name can be evaluated before the filter on the schema, and fails on a name
# outside the search path, or on another session's temporary table dropped meanwhile)
_READABLE = """
SELECT c.relname, a.attname FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  AND has_column_privilege(c.oid, a.attnum, 'SELECT')
ORDER BY c.relname, a.attnum
"""


HELD_ELSEWHERE = "held_lines"  # on the mirror: the lines another site's records hold (ServerStore.held_outside_view)
SIGN_IN_TABLES = (*postgres.EVERYONE_READS, "users", "user_sessions")


@cache
def _embedded_schema() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The embedded store's schema, from its migrations: its sequences' names, the statements that make
    its tables (with their constraints), and each table's columns."""
    con = duckdb.connect(":memory:", config=CONNECTION_CONFIG)
    try:
        for name in MIGRATIONS:
            con.execute(sql_text(name))
        sequences = [r[0] for r in con.execute("SELECT sequence_name FROM duckdb_sequences() ORDER BY sequence_name").fetchall()]
        ddl = [r[0] for r in con.execute("SELECT sql FROM duckdb_tables() ORDER BY table_name").fetchall()]
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tuple(sequences), tuple(ddl), {t: tuple(c) for t, c in tables.items()}


class ServerStore(CursorReads):
    """A PostgreSQL study read and written as the role of its URL, with what :class:`~trial.store.Store`
    offers the rest of the system (``cursor``, ``query``, ``scalar``, ``study``, ``data_version``,
    ``cache_key``, ``transaction``)."""

    read_only = False
    path = None
    engine = "postgresql"

    def __init__(self, url: str, con: psycopg.Connection, *, acting_as: str | None = None,
                 tables: tuple[str, ...] | None = None):
        self.url = url
        self.shown = redacted(url)
        self._con = con
        self._acting_as = acting_as
        self._tables = tables
        self.role: str = con.execute("SELECT current_user").fetchone()[0]
        self._lock = threading.RLock()
        self._readable: dict[str, list[str]] = {}
        self._mirror: duckdb.DuckDBPyConnection | None = None
        self._version: int | None = None
        self._work: int | None = None
        self._seen: tuple | None = None  # what the mirror was copied at: the data version (and the sessions')
        self._study: Study | None = None
        self._accounts: ServerStore | None = None

    @classmethod
    def open(cls, url: str, *, acting_as: str | None = None, tables: tuple[str, ...] | None = None) -> ServerStore:
        """The study at ``url``, read as the URL's role, or as the role ``acting_as`` (the URL's role must
        be a member of it: the study's owner is of every account's); with ``tables``, only those
        tables are copied (the others are empty)."""
        con = postgres.connect(url)
        try:
            if acting_as is not None:
                _set_role(con, acting_as, url)
            store = cls(url, con, acting_as=acting_as, tables=tables)
            store._check()
            store.refresh()
        except BaseException:
            con.close()
            raise
        return store

    @classmethod
    def for_sign_in(cls, url: str) -> ServerStore:
        """The study's accounts and sessions (with its definition), as the URL's role: what signing in,
        and checking a session at every click, read; copied again when either changes, in any process."""
        return cls.open(url, tables=SIGN_IN_TABLES)

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
        if self._accounts is not None:
            self._accounts.close()
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

    def versions(self) -> tuple[int, int]:
        """The data version and the work version (queries, accounts), as the database holds them."""
        self.refresh()
        return self._version, self._work

    def refresh(self) -> None:
        """Copy the role's rows again if the study's data or work changed since the last copy."""
        with self._lock:
            self._bring_up_to_date()

    def _bring_up_to_date(self) -> None:
        try:
            seen = self._con.execute(self._seen_sql).fetchone()
        except psycopg.OperationalError as exc:
            raise postgres.unreachable(self.url, exc) from None
        if seen == self._seen and self._mirror is not None:
            return
        mirror, self._seen, self._readable = self._copy()
        # the old copy is not closed: a page of another thread may be reading it; it goes with its last cursor
        self._mirror, self._study = mirror, None
        self._version, self._work = int(self._seen[0]), int(self._seen[1] or 0)

    @property
    def _seen_sql(self) -> str:
        """What the copy is kept for: the data and work versions (:mod:`trial.store.versions`), and
        where it holds sessions, their count and how many have ended (sessions are never deleted, nor
        an ended one started again)."""
        counters = ", ".join(f"(SELECT value FROM meta WHERE key = '{c}')" for c in COUNTERS)
        if self._tables is not None and "user_sessions" in self._tables:
            return f"SELECT {counters}, count(*), count(ended_at) FROM user_sessions"
        return f"SELECT {counters}"

    def _copy(self) -> tuple[duckdb.DuckDBPyConnection, int, dict[str, list[str]]]:
        sequences, ddl, tables = _embedded_schema()
        mirror = duckdb.connect(":memory:", config=CONNECTION_CONFIG)
        try:
            with adbc.connect(self.url) as con, con.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if self._acting_as is not None:
                    cur.execute(f"SET LOCAL ROLE {quoted_name(self._acting_as)}")
                cur.execute(self._seen_sql)
                seen = tuple(cur.fetchone())
                # each sequence starts after the study's highest number, whether the role reads that row or not
                cur.execute("SELECT sequence_name, next_id FROM trial_next_ids()")
                starts = dict(cur.fetchall())
                for name in sequences:
                    mirror.execute(f"CREATE SEQUENCE {quoted_name(name)} START {int(starts.get(name, 1))}")
                for statement in ddl:
                    mirror.execute(statement)
                cur.execute(_READABLE)
                readable: dict[str, list[str]] = {}
                for table, column in cur.fetchall():
                    readable.setdefault(table, []).append(column)
                for table, columns in readable.items():
                    if self._tables is not None and table not in self._tables:
                        continue
                    shown = [c for c in columns if c in tables.get(table, ())]
                    if not shown:
                        continue
                    for column in tables[table]:  # a column the role may not read is NULL in the copy
                        if column not in shown:
                            mirror.execute(f"ALTER TABLE {table} ALTER COLUMN {quoted_name(column)} DROP NOT NULL")
                    cur.execute(f"SELECT {', '.join(quoted_name(c) for c in shown)} FROM {quoted_name(table)}")
                    rows = cur.fetch_arrow_table()
                    if rows.num_rows:
                        mirror.register("_copied", rows)
                        mirror.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _copied")
                        mirror.unregister("_copied")
        except adbc.Error as exc:
            mirror.close()
            raise postgres.unreachable(self.url, exc) from None
        return mirror, seen, readable

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the mirror, copied again first if this store wrote since (other processes' writes
        are seen at :meth:`refresh`, which :meth:`data_version` calls)."""
        with self._lock:
            if self._mirror is None or self._seen is None:
                self._bring_up_to_date()
            return self._mirror.cursor()

    @property
    def cache_key(self) -> str:
        """The study and the role reading it (the mirror holds that role's rows only)."""
        return f"{redacted(self.url)}#{self.role}" + ("" if self._tables is None else f"#{','.join(self._tables)}")

    # ----------------------------------------------------------------- writing
    def create_account(self, name: str, password: str, password_hash: str, roles: list[str], **account) -> None:
        """An account and its role (:func:`trial.store.postgres_accounts.add_account`): for the study's owner only,
        the system's own login, which makes the roles (an account cannot)."""
        if not self.is_owner:
            raise TrialError(f"{self.role} may not add accounts: on PostgreSQL the study's owner, the system's own login "
                             f"(the user that ran `trial init`), adds them: trial users add … --db postgresql://OWNER:…")
        try:
            postgres_accounts.add_account(self._con, name, password, password_hash, roles, **account)
        except psycopg.Error as exc:
            raise server_write.refusal(exc, self.role) from None
        self._seen = None

    def unblinded_arm(self, subject_id: str) -> str | None:
        """The arm of a subject this role has unblinded (``trial_unblinded_arm``: the database tells a
        blinded role the arm once its unblinding, checked by the policies, is recorded)."""
        with self._lock:
            return self._con.execute("SELECT trial_unblinded_arm(%s)", (subject_id,)).fetchone()[0]

    @property
    def accounts(self) -> ServerStore:
        """Where passwords are checked (a signature): the study's accounts read as the owner, when this
        store acts as an account for the owner (the dashboards); else this store."""
        if self._acting_as is None:
            return self
        with self._lock:
            if self._accounts is None:
                self._accounts = ServerStore.for_sign_in(self.url)
            self._accounts.refresh()
            return self._accounts

    def password_signs(self, user_name: str, password: str) -> bool | None:
        """Whether ``password`` is ``user_name``'s, checked by the server (a sign-in with it), when this store
        reads as that account's own role and so holds no hashes; None where the hashes are read (the
        owner's: the account's row checks it)."""
        if self._acting_as is not None or user_name != self.role or self.is_owner:
            return None
        return postgres.password_signs(self.url, password)

    def held_outside_view(self, cur: duckdb.DuckDBPyConnection, table: str, incoming: str) -> str | None:
        """The lines of ``incoming`` (on the mirror's cursor ``cur``, in this store's transaction) whose
        key, or a value no two records share, a record this role cannot read holds: the relation
        ``HELD_ELSEWHERE`` (line, column_name; no column for the key), as the database's function
        ``trial_held_elsewhere`` answers it. Only the lines the role's own rows do not already hold are asked about."""
        domain = domain_named(table)
        asked = f"NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key_match(domain.key, 't', 'i')})"
        if "subject_id" in domain.key and table != "subjects":
            # a record of a subject this role reads is this site's (a file's subject must be its site's,
            # and the table's unique key still refuses any other): only other subjects' lines are asked
            asked += " AND NOT EXISTS (SELECT 1 FROM subjects AS s WHERE s.subject_id = i.subject_id)"
        asked += "".join(f" OR i.{c} IS NOT NULL" for c in domain.unique)
        sent = ", ".join(f"{c} := i.{c}" for c in ("_line", *domain.key, *domain.unique))
        lines = cur.execute(f"SELECT to_json(list(struct_pack({sent}))) FROM {incoming} AS i WHERE {asked}").fetchall()[0][0]
        held = [] if lines is None else self._con.execute(
            "SELECT line, column_name FROM trial_held_elsewhere(%s, %s::jsonb)", (table, str(lines))).fetchall()
        answered = pa.table({"line": pa.array([h[0] for h in held], pa.int32()), "column_name": pa.array([h[1] for h in held], pa.string())})
        cur.register("trial_held_answer", answered)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {HELD_ELSEWHERE} AS SELECT * FROM trial_held_answer")
        cur.unregister("trial_held_answer")
        return HELD_ELSEWHERE

    makes_roles = True  # an account here is also a role of the database (see :mod:`trial.store.postgres_accounts`)

    @contextlib.contextmanager
    def changing_account(self, name: str) -> Iterator[dict]:
        """A change of account ``name``: the block changes its row (in a write of its own) and fills the
        dict yielded with what its role must change (``password``, ``active``, ``access``), which is
        changed after it, in the same database transaction: both or neither. The study's owner only."""
        if not self.is_owner:
            raise TrialError(f"{self.role} may not change accounts: on PostgreSQL the study's owner, the system's own "
                             "login, changes them (with its URL), or an administrator on the dashboards.")
        change: dict = {}
        with self._lock, self._refusals_in_sentences():
            try:
                with self._con.transaction():
                    yield change
                    postgres_accounts.change_account_role(self._con, name, **change)
            finally:
                self._seen = None

    @contextlib.contextmanager
    def _refusals_in_sentences(self) -> Iterator[None]:
        """A write's refusal by the database (a constraint, a policy), or a lost server, as a sentence."""
        try:
            yield
        except (psycopg.errors.IntegrityError, psycopg.errors.InsufficientPrivilege) as exc:
            raise server_write.refusal(exc, self.role) from None
        except psycopg.OperationalError as exc:
            raise postgres.unreachable(self.url, exc) from None

    @property
    def is_owner(self) -> bool:
        """Whether the URL signs in as the study's owner (the system itself, not an account)."""
        return bool(self._con.execute("SELECT pg_has_role(current_user, d.datdba, 'MEMBER') FROM pg_database AS d "
                                      "WHERE d.datname = current_database()").fetchone()[0])

    # ----------------------------------------------------------------- the system's writes
    @contextlib.contextmanager
    def transaction(self, *, commit: bool = True, moves: str | None = DATA) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write as the role, in one database transaction: the study's write lock is taken (writers
        wait their turn, in every process), the mirror brought up to date, the block run on a cursor of
        it, and what it wrote replayed to the database (:mod:`trial.store.server_write`). Rolled back if
        the block raises, or always when ``commit`` is False (a dry run takes no lock). ``moves`` is
        the embedded store's: here the database's triggers move the counter of each table written
        (:data:`trial.store.versions.WORK_TABLES` the work version, every other the data version)."""
        with self._lock, self._refusals_in_sentences():
            with self._con.transaction(force_rollback=not commit):
                if commit:
                    self._con.execute("SELECT pg_advisory_xact_lock(hashtextextended(current_database(), 0))")
                self._bring_up_to_date()
                cur, committed = self._mirror.cursor(), self._mirror.cursor()
                try:
                    cur.begin()
                    before = server_write.begin(cur, self._con)
                    yield cur
                    if commit:
                        server_write.replay(cur, committed, self._con, before, self._readable)
                finally:
                    with contextlib.suppress(duckdb.Error):
                        cur.rollback()
                    cur.close()
                    committed.close()
                    if commit:
                        self._seen = None  # what was written is read back from the database


def _set_role(con: psycopg.Connection, role: str, url: str) -> None:
    """Act as ``role`` on ``con`` from now on (``SET ROLE``): refused with a sentence unless the URL's
    role is a member of it."""
    try:
        con.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidParameterValue):
        raise TrialError(f"The login of {redacted(url)} may not act as {role}: the dashboards sign in as the "
                         "study's owner (the user that ran `trial init`), which may act as each account.") from None
