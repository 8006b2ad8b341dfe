"""The DuckDB store: one read-write owner per process, migrations, transactions, data version.

Threads share one ``Store``; each works on its own cursor. Writes go through ``transaction()``,
which serialises writers inside the process (DuckDB itself allows one writing process per file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from trial.store import audit, seals
from trial.errors import (
    DatabaseExists,
    DatabaseLocked,
    DatabaseMissing,
    DatabaseUnwritable,
    DatabaseVersionError,
    NotATrialDatabase,
    TrialError,
)
from trial.store.definition import definition_rows, study_parameters
from trial.store.reading import CursorReads
from trial.store.sqlfiles import sql_names, sql_text
from trial.store.versions import COUNTERS, DATA, WORK, bump
from trial.study import Study, parse_study

MIGRATIONS = sql_names("store/migrations")
# Steps a migration needs that SQL cannot do, run in its transaction right after its SQL.
AFTER_MIGRATION = {"store/migrations/003_audit_chain": audit.seal_existing, "store/migrations/009_row_seals": audit.seal_existing_records}
SCHEMA_VERSION = len(MIGRATIONS)
_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")
# Nothing is downloaded or loaded behind our back: a SQLite file (or any file DuckDB would open with
# an extension) is refused, not fetched for. What we use (json, parquet, icu) is built in.
CONNECTION_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 11 of every DuckDB database file
_SQLITE_MAGIC = b"SQLite format 3\x00"
_OS_REASON = re.compile(r'"([^"]+)": ([^"\n]+?)\s*$', re.MULTILINE)  # DuckDB: … file "PATH": REASON


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    _refuse_foreign(path)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=CONNECTION_CONFIG)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _LOCK_HOLDER.search(text)
            holder = f" (process {pid.group(1)})" if pid else ""
            raise DatabaseLocked(
                f"The database {path} is in use by another program{holder}. "
                "Wait for it to finish, or close it, and try again."
            ) from None
        raise TrialError(f"The database {path} cannot be opened: {_io_problem(path, text)}.") from None
    except duckdb.Error as exc:
        raise TrialError(f"The database {path} cannot be opened: {_io_problem(path, str(exc))}.") from None


def _refuse_foreign(path: Path) -> None:
    """One sentence for a path that holds no DuckDB database, before DuckDB is asked to open it
    (it would try an extension for a SQLite file, and say little for the rest)."""
    if path.is_dir():
        raise NotATrialDatabase(f"{path} is a folder, not a database file; name the database file (--db PATH or TRIAL_DB).")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return  # a new database
    except NotADirectoryError:
        raise NotATrialDatabase(f"{path} cannot be a database: a part of that path is a file, not a folder.") from None
    except PermissionError:
        raise TrialError(f"The database {path} cannot be read (permission denied).") from None
    what = ("it is an empty file" if not head else
            "it is a SQLite database" if head.startswith(_SQLITE_MAGIC) else
            "it is not a DuckDB database file" if head[8:12] != _DUCKDB_MAGIC else None)
    if what:
        raise NotATrialDatabase(f"{path} is not a trial database: {what}.")


def _io_problem(path: Path, text: str) -> str:
    """What DuckDB's message says went wrong with a file, in a few words (``its write-ahead log
    x.duckdb.wal: Is a directory``); the message itself when it names no file."""
    found = _OS_REASON.findall(text)
    if not found:
        return text.strip().rstrip(".")
    file, reason = found[-1]
    which = "its write-ahead log" if file.endswith(".wal") else "the file"
    return f"{which} {file} cannot be used ({reason.rstrip('.')})"


def _commit(cur: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Commit, or say in a sentence why the database's files cannot be written (the write-ahead log
    is created beside the database at the first write: a read-only folder refuses it)."""
    try:
        cur.commit()
    except duckdb.Error as exc:
        if not _OS_REASON.search(str(exc)):
            raise
        raise _unwritable(path, exc) from None


def _unwritable(path: Path, exc: duckdb.Error) -> DatabaseUnwritable:
    return DatabaseUnwritable(
        f"The database {path} cannot be written: {_io_problem(path, str(exc))}. Nothing was changed; make "
        f"{path.parent.resolve()} a folder you may write in (and {path.name}.wal, if it is there, a file) and try again."
    )


class Store(CursorReads):
    """An open study database. Use :meth:`create` for a new one and :meth:`open` for an existing one."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self._con = con
        self.path = path
        self.shown = str(path)  # how a sentence names the database
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._study: Study | None = None

    # ----------------------------------------------------------------- opening
    @classmethod
    def create(cls, path: str | Path, study_text: str, *, user: str, source: str = "study definition") -> Store:
        """Create a database at ``path`` for the study given as TOML text."""
        path = Path(path)
        study = parse_study(study_text, source)
        if path.is_dir():
            raise NotATrialDatabase(f"{path} is a folder; name a database file to create (--db PATH or TRIAL_DB).")
        if path.exists():
            raise DatabaseExists(
                f"{path} already exists. Use it as it is, or choose another file with --db PATH."
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise NotATrialDatabase(f"{path} cannot be created: a part of that path is a file, not a folder.") from None
        except PermissionError:
            raise DatabaseUnwritable(f"{path} cannot be created: its folder cannot be made (permission denied).") from None
        store = cls(_connect(path, read_only=False), path, read_only=False)
        try:
            store._migrate()
            store._write_study(study, study_text, user)
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        path = Path(path)
        if not path.exists():
            raise DatabaseMissing(
                f"There is no database at {path}. Create one with `trial init` (or name another with --db PATH)."
            )
        store = cls(_connect(path, read_only), path, read_only)
        try:
            version = store._schema_version()
            if read_only and version < SCHEMA_VERSION:  # readers need the current schema too
                store.close()
                cls.open(path).close()
                return cls.open(path, read_only=True)
            if version > SCHEMA_VERSION:
                raise DatabaseVersionError(
                    f"{path} was written by a newer version of trial (schema {version}); upgrade trial to use it."
                )
            if version < SCHEMA_VERSION and not read_only:
                store._migrate()
                if not store.scalar("SELECT count(*) FROM study_parameters"):  # a file from before they were kept
                    with store.transaction() as cur:
                        _write_parameters(cur, store.study)
                        seals.added(cur, "study_parameters")
                        audit.record(cur, [audit.Event(audit.SYSTEM, "STUDY_PARAMETERS", "study_parameters")])
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- use
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own, for one thread's reads (and a registered Arrow table or two)."""
        return self._con.cursor()

    @contextlib.contextmanager
    def transaction(self, *, commit: bool = True, moves: str | None = DATA) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction at a time in this process; rolled back if the block raises,
        or always when ``commit`` is False (a dry run sees what the write would see).
        ``moves``: the counter the write moves (:mod:`trial.store.versions`): the data version for
        the study's data, ``WORK`` for queries and accounts, None for writes no page shows
        (sign-ins, sessions, export notes): every cached result keyed on the other stays as it was."""
        if self.read_only:
            raise TrialError(f"{self.path} is open read-only; this needs write access.")
        moving = None if moves is None else bump(moves)
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.begin()
                yield cur
                if not commit:
                    cur.rollback()
                    return
                if seals.unbound(cur):  # a writer that sealed rows must also write their audit row
                    raise RuntimeError("a write sealed rows but recorded no audit row for them")
                if moving is not None:
                    cur.execute(moving)
                _commit(cur, self.path)
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    cur.rollback()
                raise
            finally:
                cur.close()

    def password_signs(self, user_name: str, password: str) -> bool | None:
        """None: here the account's row (its hash) checks a password (the server store may ask the server)."""
        return None

    def held_outside_view(self, cur: duckdb.DuckDBPyConnection, table: str, incoming: str) -> str | None:
        """None: here the upload's check reads the table itself for keys another site's record holds
        (the server store asks the database, and names the relation of the lines it answers)."""
        return None

    makes_roles = False  # the file's accounts are rows only

    @contextlib.contextmanager
    def changing_account(self, name: str) -> Iterator[dict]:
        """A change of account ``name`` made by the block: here its row is all there is (the server
        store changes the account's database role after it, in the same transaction)."""
        yield {}

    def unblinded_arm(self, subject_id: str) -> str | None:
        """The arm of a subject just unblinded (the server store asks the database, which tells it only
        to the account that recorded the unblinding)."""
        return self.scalar("SELECT arm FROM randomization WHERE subject_id = $s", {"s": subject_id})

    @property
    def accounts(self) -> Store:
        """Where passwords are checked (a signature): the study's own file (see the server store's)."""
        return self

    @property
    def cache_key(self) -> str:
        """Names this database in caches (a user's view of it, :class:`trial.governance.views.ScopedStore`,
        adds its access)."""
        return str(self.path.resolve())

    def data_version(self) -> int:
        """Grows by one with every committed change of the study's data; the ARD and the pack key on it."""
        return int(self.scalar(f"SELECT value FROM meta WHERE key = '{DATA}'"))

    def versions(self) -> tuple[int, int]:
        """The data version and the work version (queries, accounts): what the pages' caches key on."""
        held = dict(self.query(f"SELECT key, value FROM meta WHERE key IN {COUNTERS}").values)
        return int(held[DATA]), int(held.get(WORK, 0))

    # ----------------------------------------------------------------- internals
    def _schema_version(self) -> int:
        """The trial schema the file holds; a sentence, before anything is written to it, when it is
        another program's DuckDB database (no meta table, or one without our schema version)."""
        has_meta = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
        )
        if not has_meta:
            raise NotATrialDatabase(f"{self.path} is not a trial database: it is a DuckDB database without trial's tables.")
        try:
            value = self.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
            return int(value)
        except (duckdb.Error, TypeError, ValueError):
            raise NotATrialDatabase(
                f"{self.path} is not a trial database: it is a DuckDB database whose meta table has no trial schema version."
            ) from None

    def _migrate(self) -> None:
        cur = self._con.cursor()
        try:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
            ).fetchone()[0]
            current = 0
            if exists:
                current = int(cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            for number, name in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                cur.begin()
                cur.execute(sql_text(name))
                if name in AFTER_MIGRATION:
                    AFTER_MIGRATION[name](cur)
                cur.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)", {"v": str(number)}
                )
                _commit(cur, self.path)
        finally:
            cur.close()

    def _write_study(self, study: Study, study_text: str, user: str) -> None:
        now = dt.datetime.now(dt.UTC)
        cur = self._con.cursor()
        try:
            cur.begin()
            for key, value in (
                ("study_toml", study_text),
                ("study_id", study.study.id),
                ("created_at", now.isoformat()),
                ("data_version", "0"),
            ):
                cur.execute("INSERT INTO meta VALUES ($k, $v)", {"k": key, "v": value})
            for table, rows in definition_rows(study).items():
                if rows:
                    cur.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
            for table in ("meta", "study_sites", "study_arms", "study_visits", "study_regions", "study_coding", "study_parameters"):
                seals.added(cur, table)
            audit.record(cur, [audit.Event(user, "INIT", new_value=study.study.id)], at=now)
            _commit(cur, self.path)
        finally:
            cur.close()


def _write_parameters(cur, study: Study) -> None:
    cur.executemany("INSERT INTO study_parameters VALUES (?, ?)", list(study_parameters(study).items()))
