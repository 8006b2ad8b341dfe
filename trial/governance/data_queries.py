"""Data queries: a monitor questions one data point, the site answers, the monitor closes or re-opens.

A data point is (subject, study table, record key, column); the record key is written as the audit
trail writes it: the record's key values as text joined by `` / ``, subject first
(``S01-004 / WEEK_12 / TARGET``). A monitor or a statistician opens a query with a text; site staff
of the subject's site answer it (an evaluator too, on the assessments), optionally citing the upload
that corrected the value; a monitor or statistician closes it, or re-opens it with a text saying
what is still wrong. Every message is kept (``query_messages``) and every action is in the audit
trail. After database lock a query can still be closed, but not opened, answered or re-opened.

Writes take a :class:`trial.governance.users.User` and refuse with a :class:`TrialError` whose message is one
sentence the person can act on. Reads go through the store they are given (its cursors), so a
store scoped to one user's sites reads only those.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from schemas import DOMAINS, Domain
from trial import findings as fd
from trial.errors import TrialError
from trial.governance.access import ASSESSMENT_DOMAINS, Access, REVEALS_ALLOCATION
from trial.governance.views import scoped
from trial.governance.lock import DatabaseIsLocked, state_on
from trial.governance.users import Role, User
from trial.store import audit, seals, versions
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame

OPEN, ANSWERED, CLOSED = "OPEN", "ANSWERED", "CLOSED"
STATUSES = (OPEN, ANSWERED, CLOSED)
RAISERS = frozenset({Role.MONITOR, Role.STATISTICIAN})  # open, close and re-open queries
ASSESSMENT_TABLES = frozenset(ASSESSMENT_DOMAINS)  # what an evaluator answers (and sees, when only an evaluator)
MOST_KEYS_NAMED = 5  # an unknown record key's sentence names up to this many of the subject's records
_THIS_QUERY = "t.query_id = $query_id"  # what a change of one query seals (trial.store.seals)


class QueryNotFound(TrialError):
    """A query asked for by number does not exist."""


def _sql(name: str) -> str:
    return sql_text(f"governance/data_queries/{name}")


def _frame(cur: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    return frame(cur, _sql(name), params)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- data points
def _domain(table_name: str) -> Domain:
    name = (table_name or "").strip().lower()
    if name not in DOMAINS:
        raise TrialError(f"'{table_name}' is not a study table; a query is raised on one of {', '.join(DOMAINS)}.")
    return DOMAINS[name]


def _records_sql(domain: Domain) -> str:
    """``subject_records.sql`` for one domain: its key expression, columns and order come from the
    domain registry (as in :mod:`trial.ingest.changes`), never from a person's text."""
    key = "concat_ws(' / ', " + ", ".join(f"CAST({k} AS VARCHAR)" for k in domain.key) + ")"
    # visits in protocol order (WEEK_4 before WEEK_12), the other key values as they sort
    order = ["(SELECT v.position FROM study_visits AS v WHERE v.visit = r.visit)" if k == "visit" else f"r.{k}"
             for k in domain.key]
    return _sql("subject_records").format(
        table=domain.name, key=key, columns=", ".join(domain.column_names), order=", ".join(order)
    )


def _records(cur: duckdb.DuckDBPyConnection, domain: Domain, subject_id: str) -> pd.DataFrame:
    return frame(cur, _records_sql(domain), {"subject": subject_id})


def subject_records(store, subject_id: str, table_name: str) -> pd.DataFrame:
    """One subject's records of one study table: ``record_key`` (as a query names it), then the
    record's columns, in key order. What a monitor picks a data point from."""
    domain = _domain(table_name)
    cur = store.cursor()
    try:
        return _records(cur, domain, _subject(subject_id))
    finally:
        cur.close()


def key_names(table_name: str) -> str:
    """How a table's record key is written: ``subject_id / visit / region``."""
    return " / ".join(_domain(table_name).key)


def _subject(subject_id: str) -> str:
    return (subject_id or "").strip().upper()


def _record_key(record_key: str) -> str:
    """The key as the audit trail writes it, whatever spaces were typed around the slashes."""
    return " / ".join(part.strip() for part in (record_key or "").split("/"))


def _text(text: str | None, refusal: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise TrialError(refusal)
    return cleaned


# --------------------------------------------------------------------------- who may do what
ROLE_NAMES = {Role.ADMIN: "an administrator", Role.SITE_STAFF: "site staff", Role.EVALUATOR: "an evaluator",
              Role.MONITOR: "a monitor", Role.STATISTICIAN: "a statistician"}


def _roles_sentence(user: User) -> str:
    """``maria is site staff and an evaluator``"""
    named = [ROLE_NAMES[r] for r in Role if r in user.roles]
    return f"{user.user_name} is {' and '.join(named) if named else 'without a role'}"


def _require_raiser(user: User, doing: str) -> None:
    if not user.roles & RAISERS:
        raise TrialError(f"Only a monitor or a statistician {doing} a query; {_roles_sentence(user)}.")


def _require_answerer(user: User, query: dict | None = None) -> None:
    """Site staff answer, an evaluator on the assessments only (checked once ``query`` is read;
    the roles first, so that nobody learns whether a query exists from a refusal)."""
    may = user.has(Role.SITE_STAFF) or (user.has(Role.EVALUATOR) and (query is None or query["table_name"] in ASSESSMENT_TABLES))
    if not may:
        raise TrialError(
            f"Only site staff answer a query (an evaluator too, on hair counts, pull tests and global assessments); "
            f"{_roles_sentence(user)}."
        )


def reveals_allocation(table_name: str, column_name: str) -> bool:
    """Whether a data point tells the arm, so that a blinded user may neither query nor see it."""
    if table_name not in REVEALS_ALLOCATION:
        return False
    columns = REVEALS_ALLOCATION[table_name]
    return columns is None or column_name in columns


def _require_unblinded_for(user: User, domain: Domain, column: str) -> None:
    if user.blinded and reveals_allocation(domain.name, column):
        what = domain.name if REVEALS_ALLOCATION[domain.name] is None else f"{domain.name}.{column}"
        raise TrialError(f"A query on {what} would reveal the treatment arm, which {user.user_name} may not see; "
                         "an unblinded statistician opens it.")


def _require_in_view(store, user: User, query_id: int) -> None:
    """A query outside the user's view (another site's; one on what tells the arm, for a blinded
    user) is, to them, no query at all: each step refuses it as ``show`` does, before anything is
    read of it or written to it."""
    query_record(scoped(store, Access.of(user)), query_id)


def _refuse_if_locked(cur: duckdb.DuckDBPyConnection, doing: str) -> None:
    state = state_on(cur)
    if state.locked:
        raise DatabaseIsLocked(f"{state.sentence} A query cannot be {doing} until it is unlocked "
                               "(trial unlock --reason …, by a statistician or an administrator).")


# --------------------------------------------------------------------------- writes
def open_query(store, user: User, *, subject_id: str, table_name: str, record_key: str, column_name: str,
               text: str) -> int:
    """Open a query on one data point; returns its number. The data point must exist: the subject,
    a study table, a column of it, and a record of that subject with that key."""
    _require_raiser(user, "opens")
    text = _text(text, "A query needs a text saying what the site should check.")
    subject, domain, key = _subject(subject_id), _domain(table_name), _record_key(record_key)
    column = (column_name or "").strip().lower()
    if column not in domain.column_names:
        raise TrialError(f"{domain.name} has no column '{column_name}'; its columns are {', '.join(domain.column_names)}.")
    _require_unblinded_for(user, domain, column)
    now = _now()
    with store.transaction(moves=versions.WORK) as cur:
        _refuse_if_locked(cur, "opened")
        site = cur.execute(_sql("subject_site"), {"subject": subject}).fetchall()
        if not site:
            raise TrialError(f"There is no subject {subject or '(none given)'} in this study; check the subject number.")
        value = _value_at(_records(cur, domain, subject), domain, subject, key, column)
        point = {"subject": subject, "table": domain.name, "record_key": key, "column": column}
        already = cur.execute(_sql("still_open_on"), point).fetchall()[0][0]
        if already is not None:
            raise TrialError(f"Query {already} on this data point is still open; follow it up there (re-open it after an "
                             "answer) rather than opening another.")
        query_id = cur.execute(_sql("insert_query"), point | {"site": site[0][0], "value": value, "user": user.user_name,
                                                           "at": now}).fetchall()[0][0]
        seals.added(cur, "data_queries", _THIS_QUERY, {"query_id": query_id})
        _add_message(cur, query_id, user, "OPEN", text, None, now)
        audit.record(cur, [audit.Event(user.user_name, "QUERY_OPEN", domain.name, key, column,
                                       new_value=f"query {query_id} {OPEN}", reason=text)], at=now)
    return int(query_id)


def _value_at(records: pd.DataFrame, domain: Domain, subject: str, key: str, column: str) -> str | None:
    """The data point's value as text; refuses a key that names no record of the subject."""
    found = records[records.record_key == key]
    if found.empty:
        if records.empty:
            raise TrialError(f"{subject} has no {domain.name} record yet, so there is nothing to query there.")
        known = records.record_key.tolist()
        shown = ", ".join(known[:MOST_KEYS_NAMED]) + (f" and {len(known) - MOST_KEYS_NAMED} more" if len(known) > MOST_KEYS_NAMED else "")
        raise TrialError(f"{subject} has no {domain.name} record '{key}' ({' / '.join(domain.key)}); "
                         f"its records are {shown}.")
    return fd.show(found.iloc[0][column])


def answer_query(store, user: User, query_id: int, text: str, *, upload_id: int | None = None) -> None:
    """The site's answer; ``upload_id`` cites the upload that corrected the value."""
    text = _text(text, "An answer needs a text saying what was checked or corrected.")
    _require_answerer(user)
    _require_in_view(store, user, query_id)
    now = _now()
    with store.transaction(moves=versions.WORK) as cur:
        query = _query_on(cur, query_id)
        _require_answerer(user, query)
        if query["status"] == CLOSED:
            raise TrialError(f"Query {query_id} is closed; a monitor re-opens it if it needs another answer.")
        _refuse_if_locked(cur, "answered")
        if upload_id is not None and not cur.execute(_sql("upload_exists"), {"upload_id": upload_id}).fetchall()[0][0]:
            raise TrialError(f"There is no upload {upload_id} to cite; `trial uploads` lists them (cite the one that "
                             "corrected the value).")
        _change(cur, query, user, "ANSWER", ANSWERED, text, upload_id, now)


def close_query(store, user: User, query_id: int, text: str | None = None) -> None:
    """Close a query (the answer settles it, or it was opened in error); a text is optional.
    Allowed after database lock: closing changes no study data."""
    _require_raiser(user, "closes")
    _require_in_view(store, user, query_id)
    now = _now()
    with store.transaction(moves=versions.WORK) as cur:
        query = _query_on(cur, query_id)
        if query["status"] == CLOSED:
            raise TrialError(f"Query {query_id} is already closed; re-open it with a text to take it up again.")
        _change(cur, query, user, "CLOSE", CLOSED, (text or "").strip() or None, None, now)


def reopen_query(store, user: User, query_id: int, text: str) -> None:
    """Re-open an answered or closed query, saying what is still wrong."""
    _require_raiser(user, "re-opens")
    text = _text(text, "Re-opening a query needs a text saying what is still wrong.")
    _require_in_view(store, user, query_id)
    now = _now()
    with store.transaction(moves=versions.WORK) as cur:
        query = _query_on(cur, query_id)
        if query["status"] == OPEN:
            raise TrialError(f"Query {query_id} is already open and waiting for the site's answer.")
        _refuse_if_locked(cur, "re-opened")
        _change(cur, query, user, "REOPEN", OPEN, text, None, now)


def _query_on(cur: duckdb.DuckDBPyConnection, query_id: int) -> dict:
    found = _frame(cur, "query", {"query_id": query_id})
    if found.empty:
        raise QueryNotFound(f"There is no query {query_id}; `trial queries` lists them.")
    return found.iloc[0].to_dict()


def _add_message(cur, query_id: int, user: User, action: str, text: str | None, upload_id: int | None,
                 now: dt.datetime) -> None:
    seq = cur.execute(_sql("insert_message"), {"query_id": query_id, "at": now, "user": user.user_name, "action": action,
                                               "text": text, "upload_id": upload_id}).fetchall()[0][0]
    seals.added(cur, "query_messages", "t.query_id = $query_id AND t.seq = $seq", {"query_id": query_id, "seq": seq})


def _change(cur, query: dict, user: User, action: str, status: str, text: str | None, upload_id: int | None,
            now: dt.datetime) -> None:
    """Add the message, move the status, and write the audit row, in the caller's transaction."""
    query_id = int(query["query_id"])
    _add_message(cur, query_id, user, action, text, upload_id, now)
    with seals.rewriting(cur, "data_queries", _THIS_QUERY, {"query_id": query_id}):
        cur.execute(_sql("set_status"), {"query_id": query_id, "status": status})
    audit.record(cur, [audit.Event(user.user_name, f"QUERY_{action}", query["table_name"], query["record_key"],
                                   query["column_name"], old_value=f"query {query_id} {query['status']}",
                                   new_value=f"query {query_id} {status}", reason=text, upload_id=upload_id)], at=now)


# --------------------------------------------------------------------------- reads
def _read(store, name: str, params: dict | None = None) -> pd.DataFrame:
    cur = store.cursor()
    try:
        return _frame(cur, name, params)
    finally:
        cur.close()


def query_list(store, *, status: str | None = None, subject_id: str | None = None,
               site_id: str | None = None) -> pd.DataFrame:
    """Every query (optionally of one status, subject or site), oldest first: the data point, its
    value when the query was opened, the question, and the latest message."""
    if status is not None and status.upper() not in STATUSES:
        raise TrialError(f"A query's status is {', '.join(STATUSES)}; '{status}' is not one.")
    return _read(store, "list", {
        "status": status.upper() if status else None,
        "subject": _subject(subject_id) or None,
        "site": site_id.strip().upper() if site_id else None,
    })


def query_history(store, query_id: int) -> pd.DataFrame:
    """One query's messages, first to last: who wrote what when, and any upload cited."""
    query_record(store, query_id)  # an unknown number is refused, not an empty history
    return _read(store, "history", {"query_id": query_id})


def query_record(store, query_id: int) -> dict:
    """One query as it stands: its data point, status and who opened it."""
    cur = store.cursor()
    try:
        return _query_on(cur, query_id)
    finally:
        cur.close()


def current_value(store, query_id: int) -> str | None:
    """The queried data point's value now (None also when its record has gone)."""
    found = query_record(store, query_id)
    records = subject_records(store, found["subject_id"], found["table_name"])
    row = records[records.record_key == found["record_key"]]
    return None if row.empty else fd.show(row.iloc[0][found["column_name"]])


def open_query_counts(store) -> pd.DataFrame:
    """Queries not closed yet, per site and subject: ``open_queries`` (all of them), of which
    ``awaiting_answer`` (OPEN) and ``awaiting_review`` (ANSWERED). Subjects without any are left out."""
    return _read(store, "open_counts")
