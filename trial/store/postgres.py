"""PostgreSQL as the system of record: a study's schema and its boundary, enforced by the database.

:func:`create_study` makes the tables (``trial/sql/store/postgres``), then, from the data dictionary,
what the database itself enforces for every client, ``psql`` included:

- **Group roles** of the study, ``<database>_account`` (every account), ``_clinical`` (every account
  but evaluators: adverse events, sessions, disposition) and ``_unblinded`` (the columns that tell the
  arm). Each account is a role of its own name, a member of the groups its access allows
  (:func:`set_account_role`).
- **Row-level security** on every table with a site: an account reads its own site's rows only
  (every site when it has none), and the planner keeps no statistics of their columns to tell.
- **Column privileges** for blinding: a blinded role cannot select the arm, the adverse events'
  verbatim term and suspected cause, or any session (which happen in one arm only).
- **The audit trail** is written only by the system's function ``trial_record`` (by an account in
  its own name only, at the database's clock; hash-chained as the embedded store chains it, so
  :func:`trial.store.audit.problems_in_chain` checks both), and no role, not even the owner, updates,
  deletes or truncates it (a trigger).
- **Every change of a study table writes its audit rows** (triggers): by the system's write
  path (which names its upload and reason in ``trial.context``) or, without it, as made outside the
  system (``DIRECT_INSERT``, ``DIRECT_UPDATE``, ``DIRECT_DELETE``), with the acting role's name.

The policy (which columns reveal the allocation, which domains evaluators read) is governance's and
is handed in (:class:`Boundary`): the store knows how, not what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import conninfo, sql

from schemas import DOMAINS
from trial.errors import DatabaseExists, TrialError
from trial.store.audit import GENESIS
from trial.store.definition import definition_rows
from trial.store.sqlfiles import sql_names, sql_text
from trial.store.versions import COUNTERS
from trial.settings import redacted
from trial.study import Study, parse_study

SCHEMA = sql_names("store/postgres")
SCHEMA_VERSION = len(SCHEMA)
SITE_DEFINITION_TABLES = ("study_sites", "unblindings")  # tables with a site that are no data domain
# Who sees what, the study's definition, the lock and the queries: their changes are audited as the
# data's are (key columns, then after a '-' the columns never written into the trail).
AUDITED = {"account_roles": ("role_name",), "users": ("user_name", "-password_hash"), "unblindings": ("unblinding_id",),
           "lock_history": ("lock_id",), "data_queries": ("query_id",), "query_messages": ("query_id", "seq"),
           "study_sites": ("site_id",), "study_arms": ("arm",), "study_visits": ("visit",), "study_regions": ("region",),
           "study_coding": ("pt",), "study_parameters": ("name",), "meta": ("key",)}
# meta rows the system itself moves with every write (the trail's head, the versions): not audited
META_MOVING = ("audit_head", "audit_rows", *COUNTERS)
# read whole with full access only; uploads and findings also by the sending site (see _open_governance_tables)
FULL_READERS_ONLY = ("uploads", "findings", "upload_files", "row_seals", "audit_trail")
EVERYONE_READS = ("meta", "study_sites", "study_arms", "study_visits", "study_regions", "study_coding", "study_parameters")


@dataclass(frozen=True)
class Boundary:
    """What the database withholds. ``withheld``: domain → the columns that tell the arm (None: every
    column); ``assessment_domains``: the domains an evaluator reads (with subjects and randomization)."""

    withheld: Mapping[str, frozenset[str] | None]
    assessment_domains: frozenset[str]


@dataclass(frozen=True)
class Groups:
    account: str
    clinical: str
    unblinded: str

    @classmethod
    def of(cls, database: str) -> Groups:
        return cls(f"{database}_account", f"{database}_clinical", f"{database}_unblinded")


def database_name(con: psycopg.Connection) -> str:
    return con.execute("SELECT current_database()").fetchone()[0]


def role_exists(con: psycopg.Connection, name: str) -> bool:
    return con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def create_study(url: str, study_text: str, *, user: str, boundary: Boundary, source: str = "study definition") -> Study:
    """Create the study's schema, boundary and definition in the empty database at ``url`` (its user
    owns them), with the trail's INIT row, in one transaction; the study, as parsed (``source`` names
    the text in a sentence about it, as :meth:`trial.store.Store.create` does)."""
    study = parse_study(study_text, source)
    con = connect(url, autocommit=False)
    try:
        with con:
            _create(con, study, study_text, user, boundary)
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise TrialError(f"The owner named in {redacted(url)} may not set up a study there ({_first_line(exc)}): it "
                         "must own the database and have CREATEROLE.") from None
    return study


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    """A connection as the URL's role, or a sentence that never quotes the password."""
    try:
        return psycopg.connect(url, autocommit=autocommit)
    except psycopg.ProgrammingError:  # libpq's reading of the URL, whose message may quote the password
        raise TrialError(f"{redacted(url)} is not a URL PostgreSQL reads: check its query parameters (libpq's "
                         "connection parameters) and that every '%' in it is followed by two hex digits.") from None
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from None


def password_signs(url: str, password: str) -> bool:
    """Whether ``password`` is the password of the URL's role: the server's own check, by signing in with
    it (the hash it keeps, SCRAM, is never read here)."""
    try:
        psycopg.connect(conninfo.make_conninfo(url, password=password), autocommit=True).close()
    except psycopg.OperationalError as exc:
        if "password authentication failed" in str(exc):
            return False
        raise unreachable(url, exc) from None
    return True


def unreachable(url: str, exc: Exception) -> TrialError:
    """What went wrong reaching the study, in a sentence (libpq's first line; a refused password named so)."""
    text = _first_line(exc)
    if "password authentication failed" in text:
        who = text.rsplit("for user", 1)[-1].strip().strip('"') if "for user" in text else "that user"
        return TrialError(f"The PostgreSQL study {redacted(url)} refused the password of {who}: check the account's "
                          "name and password in the URL (password authentication failed).")
    return TrialError(f"Could not reach the PostgreSQL study {redacted(url)}: {text}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _create(con: psycopg.Connection, study, study_text: str, user: str, boundary: Boundary) -> None:
    if con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'meta'").fetchone():
        raise DatabaseExists("That PostgreSQL database already holds a study. Use it as it is, or name another database.")
    for name in SCHEMA:
        con.execute(sql_text(name))
    _make_boundary(con, Groups.of(database_name(con)), boundary)
    now = dt.datetime.now(dt.UTC)
    meta = {"study_toml": study_text, "study_id": study.study.id, "created_at": now.isoformat(), **dict.fromkeys(COUNTERS, "0"),
            "schema_version": str(SCHEMA_VERSION), "audit_head": GENESIS, "audit_rows": "0", "engine": "postgresql"}
    with con.cursor() as cur:
        cur.executemany("INSERT INTO meta VALUES (%s, %s)", list(meta.items()))
        for table, rows in definition_rows(study).items():
            if rows:
                marks = sql.SQL(", ").join(sql.Placeholder() * len(rows[0]))
                cur.executemany(sql.SQL("INSERT INTO {} VALUES ({})").format(sql.Identifier(table), marks), rows)
    con.execute("SELECT trial_record(%s, 'INIT', NULL, NULL, NULL, NULL, %s, NULL, NULL, %s)",
                (user, study.study.id, now))
    for table, key in AUDITED.items():  # from now on: the definition is written, the trail begun
        _audit_changes(con, table, key, moving=META_MOVING if table == "meta" else ())


def _make_boundary(con: psycopg.Connection, groups: Groups, boundary: Boundary) -> None:
    database = sql.Identifier(database_name(con))
    account, clinical, unblinded = (sql.Identifier(g) for g in (groups.account, groups.clinical, groups.unblinded))
    for group in (groups.account, groups.clinical, groups.unblinded):
        if not role_exists(con, group):
            con.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
    # closed to every role but the study's accounts (a cluster may hold other studies and their accounts)
    con.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
    con.execute(sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
    # (temporary tables: an upload's rows pass through one on their way in; see trial.store.server_write)
    con.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, account))
    con.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(account))
    con.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.SQL(", ").join(map(sql.Identifier, EVERYONE_READS)), account))
    con.execute(sql.SQL("GRANT EXECUTE ON FUNCTION trial_record, trial_archive TO {}").format(account))
    for table in (*DOMAINS, *SITE_DEFINITION_TABLES):
        _scope_to_sites(con, table, account)
    _open_governance_tables(con, account, boundary)
    _open_governance_writes(con, account)
    for name, domain in DOMAINS.items():
        columns = _columns(con, name)
        reader = account if name in boundary.assessment_domains or name in ("subjects", "randomization") else clinical
        withheld = boundary.withheld.get(name, frozenset())
        table = sql.Identifier(name)
        if withheld is None:
            con.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, unblinded))
        else:
            shown = [c for c in columns if c not in withheld]
            con.execute(sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(_names(shown), table, reader))
            if withheld:
                con.execute(sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(_names(sorted(withheld)), table, unblinded))
        # one record a key, whichever site holds it: an upload cannot add a key another site holds
        con.execute(sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(sql.Identifier(f"{name}_key"), table, _names(list(domain.key))))
        for column in domain.unique:  # and a value no two records share (a randomization number), across sites
            con.execute(sql.SQL("CREATE UNIQUE INDEX {} ON {} ({})").format(sql.Identifier(f"{name}_{column}_unique"), table,
                                                                          sql.Identifier(column)))
        _audit_changes(con, name, domain.key)


def _names(columns: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


_IN_SITES = sql.SQL("site_id = ANY (CAST((SELECT trial_sites()) AS text[]))")


def _scope_to_sites(con: psycopg.Connection, table: str, account: sql.Identifier) -> None:
    """An account reads the rows of its own sites only, and writes those of the domains it uploads; ``(SELECT trial_sites())`` is
    worked out once a query, not once a row. No column statistics are gathered: they are gathered over
    every site, and the planner uses them for any leakproof operator whatever the policies, so that
    ``EXPLAIN … WHERE sex = 'F'`` would estimate how many rows of that value the other sites hold."""
    name = sql.Identifier(table)
    _no_statistics(con, table)
    con.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
    con.execute(sql.SQL("CREATE POLICY site_scope ON {} FOR SELECT TO {} USING ({})").format(name, account, _IN_SITES))
    if table in DOMAINS:  # rows of its sites, of the domains it uploads (trial_writes), and no others
        mine = sql.SQL("{} AND {} = ANY (CAST((SELECT trial_writes()) AS text[]))").format(_IN_SITES, sql.Literal(table))
        con.execute(sql.SQL("CREATE POLICY site_insert ON {} FOR INSERT TO {} WITH CHECK ({})").format(name, account, mine))
        con.execute(sql.SQL("CREATE POLICY site_update ON {} FOR UPDATE TO {} USING ({}) WITH CHECK ({})").format(
            name, account, mine, mine))
        con.execute(sql.SQL("GRANT INSERT, UPDATE ON {} TO {}").format(name, account))


def _open_governance_tables(con: psycopg.Connection, account: sql.Identifier, boundary: Boundary) -> None:
    """What an account reads beside the data: the lock's history and the accounts (never a password's
    hash), every account; the unblindings of its sites; the data queries of its sites, none on a data
    point that tells the arm to a blinded account and the assessments' only to an evaluator, with
    their messages. The uploads and their findings: a site's own (sent by its accounts), all of them
    with full access; raw files, row seals and the audit trail: with full access only, so far. And
    what an upload writes beside its rows, in the uploader's own name."""
    def grant(table: str, columns: list[str] | None = None) -> None:
        what = sql.SQL("SELECT ({})").format(_names(columns)) if columns else sql.SQL("SELECT")
        con.execute(sql.SQL("GRANT {} ON {} TO {}").format(what, sql.Identifier(table), account))

    def policy(table: str, name: str, using: sql.Composable) -> None:
        _no_statistics(con, table)
        con.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(table)))
        con.execute(sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING ({})").format(
            sql.Identifier(name), sql.Identifier(table), account, using))
        grant(table)

    grant("lock_history")
    grant("users", [c for c in _columns(con, "users") if c != "password_hash"])
    grant("unblindings")
    for table in FULL_READERS_ONLY:
        policy(table, "full_reader", sql.SQL("trial_full_reader()"))
    # every upload to an account of every site, a site's own (sent by an account of the site) to the
    # site's, but no randomization or session file's to a blinded reader (its counts of findings would
    # tell); their findings, without a withheld column. (The embedded store also shows a site's account
    # the uploads that brought its rows from a sender elsewhere, their counts withheld: a row policy
    # cannot withhold a column of some rows, so here those stay with the readers of every site.)
    allocation = sql.SQL(", ").join(map(sql.Literal, sorted(t for t, c in boundary.withheld.items())))
    policy("uploads", "site_uploads", sql.SQL(
        "((SELECT trial_every_site()) OR trial_colleague(user_name)) AND (NOT (SELECT trial_blinded()) OR "
        "coalesce(domain, '') NOT IN ({}))").format(allocation))
    withheld_ae = sql.SQL(", ").join(map(sql.Literal, sorted(boundary.withheld.get("adverse_events") or ())))
    policy("findings", "site_findings", sql.SQL(
        "upload_id IN (SELECT upload_id FROM uploads) AND (NOT (SELECT trial_blinded()) OR coalesce(column_name, '') "
        "NOT IN ({}))").format(withheld_ae or sql.SQL("''")))
    # what an upload writes beside its rows, in the uploader's own name
    for table, check in (("uploads", "user_name = trial_actor() AND cardinality(trial_writes()) > 0"),
                         ("findings", "trial_own_upload(upload_id)")):
        con.execute(sql.SQL("CREATE POLICY {} ON {} FOR INSERT TO {} WITH CHECK ({})").format(
            sql.Identifier(f"{table}_written"), sql.Identifier(table), account, sql.SQL(check)))
        con.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(table), account))
    revealing = [sql.SQL("(table_name = {}{})").format(sql.Literal(table), sql.SQL("") if columns is None else sql.SQL(
        " AND column_name IN ({})").format(sql.SQL(", ").join(map(sql.Literal, sorted(columns)))))
        for table, columns in boundary.withheld.items()]
    policy("data_queries", "queries_seen", sql.SQL(
        "site_id = ANY (CAST((SELECT trial_sites()) AS text[])) AND (NOT (SELECT trial_blinded()) OR NOT ({})) "
        "AND (NOT (SELECT trial_assessments_only()) OR table_name IN ({}))").format(
        sql.SQL(" OR ").join(revealing) or sql.SQL("FALSE"),
        sql.SQL(", ").join(map(sql.Literal, sorted(boundary.assessment_domains)))))
    policy("query_messages", "messages_seen", sql.SQL("query_id IN (SELECT query_id FROM data_queries)"))


# what an account writes beside its uploads, each row under its own name: table → (privilege, policy's check)
_MINE_AT_MY_SITES = "site_id = ANY (CAST((SELECT trial_sites()) AS text[]))"
_ACTS: dict[str, list[tuple[str, str]]] = {
    "lock_history": [("INSERT", "trial_may('LOCK') AND user_name = trial_actor()")],
    "unblindings": [("INSERT", f"trial_may('UNBLIND') AND user_name = trial_actor() AND {_MINE_AT_MY_SITES}")],
    "data_queries": [("INSERT", f"trial_may('RAISE_QUERY') AND opened_by = trial_actor() AND {_MINE_AT_MY_SITES}"),
                     ("UPDATE (status)", f"(trial_may('RAISE_QUERY') OR trial_may('ANSWER_QUERY')) AND {_MINE_AT_MY_SITES}")],
    "query_messages": [("INSERT", "(trial_may('RAISE_QUERY') OR trial_may('ANSWER_QUERY')) AND user_name = trial_actor() "
                                  "AND query_id IN (SELECT query_id FROM data_queries)")],
}


def _open_governance_writes(con: psycopg.Connection, account: sql.Identifier) -> None:
    """What an account writes beside the data, as its permissions allow (``account_roles.acts``): the
    lock's history; an emergency unblinding of a subject of its sites; a query of its sites, raised,
    answered, closed or re-opened (only its status changes), with its messages; each in its own name.
    The triggers audit every row. (lock_history had no policy: everyone reads it whole.)"""
    con.execute("ALTER TABLE lock_history ENABLE ROW LEVEL SECURITY")
    con.execute(sql.SQL("CREATE POLICY everyone_reads ON lock_history FOR SELECT TO {} USING (true)").format(account))
    for table, acts in _ACTS.items():
        for privilege, check in acts:
            verb = privilege.split()[0]
            using = sql.SQL(" USING ({})").format(sql.SQL(check)) if verb == "UPDATE" else sql.SQL("")
            con.execute(sql.SQL("CREATE POLICY {} ON {} FOR {} TO {}{} WITH CHECK ({})").format(
                sql.Identifier(f"{table}_{verb.lower()}"), sql.Identifier(table), sql.SQL(verb), account, using,
                sql.SQL(check)))
            con.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), sql.Identifier(table), account))


def _columns(con: psycopg.Connection, table: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                                      "AND table_name = %s ORDER BY ordinal_position", (table,))]


def _no_statistics(con: psycopg.Connection, table: str) -> None:
    con.execute(sql.SQL("ALTER TABLE {} {}").format(sql.Identifier(table), sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} SET STATISTICS 0").format(sql.Identifier(c)) for c in _columns(con, table))))


def _audit_changes(con: psycopg.Connection, table: str, key: tuple[str, ...], *, moving: tuple[str, ...] = ()) -> None:
    """Insertions and deletions are audited once a statement (its transition table); an update row by
    row (each old row paired with its new one, whatever its key becomes), then once a statement for
    the data version. ``moving``: the meta keys whose updates are not audited (the system's own)."""
    name = sql.Identifier(table)
    keys = sql.SQL(", ").join(map(sql.Literal, key))
    for event, transition, function, args in (("INSERT", "NEW TABLE AS new_rows", "trial_audit_inserted", sql.SQL("")),
                                              ("DELETE", "OLD TABLE AS old_rows", "trial_audit_deleted", keys)):
        con.execute(sql.SQL("CREATE TRIGGER {} AFTER {} ON {} REFERENCING {} FOR EACH STATEMENT EXECUTE FUNCTION {}({})").format(
            sql.Identifier(f"{table}_audit_{event.lower()}"), sql.SQL(event), name, sql.SQL(transition),
            sql.Identifier(function), args))
    when = (sql.SQL("WHEN (OLD.key NOT IN ({})) ").format(sql.SQL(", ").join(map(sql.Literal, moving))) if moving
            else sql.SQL(""))
    con.execute(sql.SQL("CREATE TRIGGER {} AFTER UPDATE ON {} FOR EACH ROW {}EXECUTE FUNCTION trial_audit_updated({})").format(
        sql.Identifier(f"{table}_audit_update"), name, when, keys))
    if not moving:  # meta itself holds the data version: a change of it moves nothing more
        con.execute(sql.SQL("CREATE TRIGGER {} AFTER UPDATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION "
                            "trial_audit_update_done()").format(sql.Identifier(f"{table}_update_done"), name))
    con.execute(sql.SQL("CREATE TRIGGER {} BEFORE TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION "
                        "trial_refuse_truncate()").format(sql.Identifier(f"{table}_not_truncated"), name))


def chain_rows(con: psycopg.Connection) -> list[tuple]:
    """The trail's rows as :func:`trial.store.audit.problems_in_chain` reads them."""
    return con.execute(
        "SELECT audit_id, (extract(epoch FROM changed_at) * 1000000)::bigint, user_name, action, table_name, "
        "record_key, column_name, old_value, new_value, reason, upload_id, seal_count, seal_digest, prev_hash, row_hash "
        "FROM audit_trail ORDER BY audit_id").fetchall()


def chain_head(con: psycopg.Connection) -> tuple[str, int]:
    rows = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('audit_head', 'audit_rows')").fetchall())
    return rows.get("audit_head", GENESIS), int(rows.get("audit_rows", 0))
