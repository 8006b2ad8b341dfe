"""The store as one user may read it: every study table shadowed by a view of what they may see.

Blinding and site scoping are applied where data leaves the store, not in the pages: a
:class:`ScopedStore` hands out cursors on which every study table is shadowed by a temporary view
of the same name holding only what the user may see. Every core function that reads through
``store.cursor()`` / ``store.query()`` (the analysis datasets, the ARD, the monitoring, efficacy,
tolerability and subject views, the pack) therefore computes on the user's rows and nothing else.

- **Site scoping**: a site user's views hold the rows of their own site only: subjects, visits,
  events, uploads and findings, and the audit rows about them.
- **Blinding**: for a blinded user every randomized subject is in one pooled arm, ``ALL``
  ("All subjects (pooled)"), so every table shows the study as if it had one arm: no arm column,
  no per-arm split or contrast. The microneedling session log is empty (sessions happen in one arm
  only), adverse events carry no suspected cause and their verbatim text is replaced by the
  coded preferred term (verbatim text names the session: "pain during session"), raw files and
  the findings of randomization and session files are withheld, and the audit trail leaves out
  the rows about randomization and sessions and about the withheld columns.
- **Assessments only** (evaluators): no adverse events, sessions or disposition either.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from trial.governance.access import (ALLOCATION_DOMAINS, ASSESSMENT_DOMAINS, POOLED_ARM, REVEALS_ALLOCATION, SITE_TABLES,
                                     WITHHELD_AE_COLUMNS, Access, pooled_study)
from trial.store.sqlfiles import quoted_name
from trial.study import Study
from trial.store.reading import frame

# the counts of an upload withheld from a reader at another site than the sender's
UPLOAD_COUNTS = ("rows_in_file", "rows_inserted", "rows_corrected", "rows_unchanged", "errors", "warnings")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"



def _views(access: Access, db: str) -> dict[str, str]:
    """Table name → the SELECT its shadowing view runs, for every table this access narrows."""

    def base(table: str) -> str:
        return f"{quoted_name(db)}.main.{table}"

    sites = None if access.sites is None else "(" + ", ".join(map(_literal, sorted(access.sites)) or ["NULL"]) + ")"
    in_sites = "TRUE" if sites is None else f"site_id IN {sites}"
    senders = f"SELECT user_name FROM {base('users')} WHERE {in_sites}"  # accounts of the reader's sites
    hidden = set()
    if access.blinded:
        hidden.add("procedures")
    if access.assessments_only:
        hidden |= {"adverse_events", "procedures", "disposition"}

    views = {}
    for table in SITE_TABLES:
        replace = ""
        if access.blinded and table == "randomization":
            replace = f" REPLACE ({_literal(POOLED_ARM.code)} AS arm)"
        if access.blinded and table == "adverse_events":
            replace = " REPLACE (pt AS term, CAST(NULL AS VARCHAR) AS suspected_cause)"
        views[table] = f"SELECT *{replace} FROM {base(table)} WHERE {'FALSE' if table in hidden else in_sites}"
    if sites is not None:
        views["study_sites"] = f"SELECT * FROM {base('study_sites')} WHERE {in_sites}"
        views["unblindings"] = f"SELECT * FROM {base('unblindings')} WHERE {in_sites}"
    if access.blinded:
        views["study_arms"] = (f"SELECT {_literal(POOLED_ARM.code)} AS arm, {_literal(POOLED_ARM.label)} AS label, "
                               "FALSE AS control, FALSE AS microneedling")

    # uploads: a site user's are those that brought rows of their sites, or that they (or a
    # colleague at the site) sent; findings and raw files follow the uploads they belong to
    counts, which = {}, "TRUE"
    if sites is not None:
        brought = " UNION ".join(f"SELECT upload_id FROM {base(t)} WHERE {in_sites}" for t in SITE_TABLES)
        # the counts of a file sent from elsewhere (before accounts, one file held every site's
        # rows) are the whole file's: withheld, as its other sites' lines are
        mine = f"user_name IN ({senders})"
        counts = {c: f"CASE WHEN {mine} THEN {c} END" for c in UPLOAD_COUNTS}
        which = f"upload_id IN ({brought}) OR {mine}"
    if access.blinded:
        # how many findings a randomization or session file had sums up findings withheld from the
        # blinded: one warning on a one-row session file is a session of a control-arm subject
        telling = f"coalesce(domain, '') IN ({', '.join(map(_literal, ALLOCATION_DOMAINS))})"
        counts |= {c: f"CASE WHEN NOT {telling} THEN {counts.get(c, c)} END" for c in ("errors", "warnings")}
    if counts:
        replaced = ", ".join(f"{sql} AS {c}" for c, sql in counts.items())
        views["uploads"] = f"SELECT * REPLACE ({replaced}) FROM {base('uploads')} WHERE {which}"
    uploads = "uploads" if "uploads" in views else base("uploads")
    readable_domains = ""
    if access.assessments_only:
        readable_domains = f" WHERE coalesce(domain, '') IN ({', '.join(map(_literal, ('', *ASSESSMENT_DOMAINS)))})"
    elif access.blinded:
        readable_domains = f" WHERE coalesce(domain, '') NOT IN ({', '.join(map(_literal, ALLOCATION_DOMAINS))})"
    if not access.full:
        # a finding is about one line of one file: it reaches a reader who may see that upload and
        # that line's site (a site user reads all of an upload sent from their own site: its
        # messages were made from that sender's view); never a withheld column to a blinded reader
        keep = [f"upload_id IN (SELECT upload_id FROM {uploads}{readable_domains})"]
        if sites is not None:
            keep.append(f"(site_id IS NULL OR site_id IN {sites} OR upload_id IN "
                        f"(SELECT upload_id FROM {base('uploads')} WHERE user_name IN ({senders})))")
        if access.blinded:
            keep.append(f"coalesce(column_name, '') NOT IN ({', '.join(map(_literal, WITHHELD_AE_COLUMNS))})")
        views["findings"] = f"SELECT * FROM {base('findings')} WHERE {' AND '.join(keep)}"
        views["upload_files"] = f"SELECT * FROM {base('upload_files')} WHERE FALSE"
        views["users"] = f"SELECT * REPLACE ('' AS password_hash) FROM {base('users')}"
        views["user_sessions"] = f"SELECT * FROM {base('user_sessions')} WHERE FALSE"
        # a seal is a hash of a whole row: a blinded or site reader could test a guessed arm or
        # another site's value against it, so seals stay with full access (and `audit --verify`)
        views["row_seals"] = f"SELECT * FROM {base('row_seals')} WHERE FALSE"
        views["audit_trail"] = _audit_view(access, base, in_sites)
        views["data_queries"] = _queries_view(access, base, in_sites)
        views["query_messages"] = f"SELECT * FROM {base('query_messages')} WHERE query_id IN (SELECT query_id FROM data_queries)"
    return views



def _queries_view(access: Access, base, in_sites: str) -> str:
    """The data queries this access may read: of its sites; none on a data point that tells the
    arm for a blinded user; the assessments' only for an evaluator."""
    where = [in_sites]
    if access.blinded:
        for table, columns in REVEALS_ALLOCATION.items():
            named = "TRUE" if columns is None else f"column_name IN ({', '.join(map(_literal, sorted(columns)))})"
            where.append(f"NOT (table_name = {_literal(table)} AND {named})")
    if access.assessments_only:
        where.append(f"table_name IN ({', '.join(map(_literal, ASSESSMENT_DOMAINS))})")
    return f"SELECT * FROM {base('data_queries')} WHERE {' AND '.join(where)}"



def _audit_view(access: Access, base, in_sites: str) -> str:
    """The audit rows this access may read: about their subjects' data (site users: and their own
    actions), without the rows a blinded user may not see."""
    conditions = []
    if access.sites is not None:
        subject = "split_part(record_key, ' / ', 1)"
        conditions.append(
            f"(table_name IN ({', '.join(map(_literal, SITE_TABLES))}) AND "
            f"({subject} IN (SELECT subject_id FROM {base('subjects')} WHERE {in_sites}) "
            f" OR (record_key IS NULL AND upload_id IN (SELECT upload_id FROM uploads))))"
        )
    hidden_tables = set()
    if access.blinded:
        hidden_tables |= set(ALLOCATION_DOMAINS)
    if access.assessments_only:
        hidden_tables |= {"adverse_events", "procedures", "disposition"}
    keep = [f"coalesce(table_name, '') NOT IN ({', '.join(map(_literal, sorted(hidden_tables)))})"] if hidden_tables else []
    if access.blinded:
        keep.append(
            f"NOT (table_name = 'adverse_events' AND coalesce(column_name, '') IN ({', '.join(map(_literal, WITHHELD_AE_COLUMNS))}))"
        )
    where = " AND ".join(keep) or "TRUE"
    if conditions:
        where = f"({conditions[0]}) AND {where}"
    # the digest of a write's row seals is withheld as the seals are (see row_seals in _views)
    return f"SELECT * REPLACE (CAST(NULL AS VARCHAR) AS seal_digest) FROM {base('audit_trail')} WHERE {where}"



class ScopedStore:
    """A read-only view of a :class:`~trial.store.Store` for one user's :class:`Access`.

    Has what the core's readers use (``cursor``, ``query``, ``scalar``, ``study``,
    ``data_version``, ``versions``, ``path``) and nothing that writes.
    """

    read_only = True

    def __init__(self, store, access: Access):
        self._store = store
        self.access = access
        self.path: Path = store.path
        self._study: Study | None = None
        self._db: str | None = None

    @property
    def cache_key(self) -> str:
        return f"{self._store.cache_key}#{self.access.key}"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._store.cursor()
        try:
            if self._db is None:
                self._db = cur.execute("SELECT current_database()").fetchall()[0][0]
            for table, select in _views(self.access, self._db).items():
                cur.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {select}")
        except BaseException:
            cur.close()
            raise
        return cur

    @contextlib.contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def query(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        with self._reading() as cur:
            return frame(cur, sql, params)

    def scalar(self, sql: str, params: dict | None = None):
        with self._reading() as cur:
            rows = cur.execute(sql, params or {}).fetchall()
            return rows[0][0] if rows else None

    @property
    def study(self) -> Study:
        if self._study is None:
            self._study = pooled_study(self._store.study, self.access)
        return self._study

    def data_version(self) -> int:
        return self._store.data_version()

    def versions(self) -> tuple[int, int]:
        return self._store.versions()



def scoped(store, access: Access):
    """The store itself for full access, else the user's view of it."""
    return store if access.full else ScopedStore(store, access)



@dataclass(frozen=True)
class Reading:
    """What :func:`reading_as` gives its block: the qualified name of each study table itself,
    for the few integrity checks that must look past the reader's view (and say nothing of what
    they find there but that a key is taken)."""

    db: str

    def base(self, table: str) -> str:
        return f"{quoted_name(self.db)}.main.{table}"



@contextlib.contextmanager
def reading_as(cur: duckdb.DuckDBPyConnection, access: Access) -> Iterator[Reading]:
    """Inside the block, ``cur`` reads the study tables as ``access`` may: each is shadowed by a
    temporary view of the same name (the views :class:`ScopedStore` uses). An upload's edit checks
    and its comparison with the study run in such a block, so every finding, warning, dry-run line
    and correction preview quotes only what its reader may see: a new check cannot forget it.
    Afterwards the views are dropped, so that the caller's writes reach the tables themselves."""
    db = cur.execute("SELECT current_database()").fetchall()[0][0]
    shadowed = [] if access.full else [t for t in (*SITE_TABLES, "study_sites", "study_arms") if t in _views(access, db)]
    views = _views(access, db) if shadowed else {}
    try:
        for table in shadowed:
            cur.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {views[table]}")
        yield Reading(db)
    finally:
        for table in shadowed:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction drops them itself
                cur.execute(f"DROP VIEW IF EXISTS temp.main.{table}")

