"""Proof that nothing changed unrecorded: ``trial audit --verify`` and the Administration page's check.

:func:`verify` reads one snapshot of the database and checks, in order:

1. the audit trail's hash chain (each row's hash covers its content and the row before), that it
   begins with the study's creation, and — given an anchor (a hash printed earlier by
   ``trial audit --anchor`` and kept elsewhere) — that the anchored row is still in the chain, so
   a consistent rewrite of the whole trail, or cutting it short, is caught too;
2. the seal history: the seals each write left (:mod:`trial.store.seals`) match the count and digest in
   that write's chained audit row, and no seal claims a row that wrote none;
3. every sealed table, record by record, against its latest seal: a record changed, added or
   removed outside the system is named (table, record key, and the column where the marks tell
   it), and so is one changed outside and then written over by a legitimate write;
4. every upload's archived bytes against the SHA-256 in the upload log.

It writes nothing (it works on a read-only copy) and names each problem in one sentence; the
sentences quote keys and file names, never values. For a blinded reader (an administrator) the
records of the tables that reveal the arm (``access.ALLOCATION_DOMAINS``: which subjects had
microneedling sessions) are counted, not named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from trial.errors import ArchiveTampered, TrialError
from trial.governance.access import ALLOCATION_DOMAINS
from trial.store import audit, seals
from trial.store.archive import unpacked

MOST_SHOWN = 50  # problems named; the rest are counted
_ANCHOR = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Verdict:
    """What :func:`verify` found: the problems (at most :data:`MOST_SHOWN` named, all counted)
    and what was checked."""

    problems: list[str] = field(default_factory=list)
    total: int = 0
    chain_rows: int = 0
    records: int = 0
    tables: int = 0
    files: int = 0
    anchored_at: int | None = None  # the anchored row's position in the chain, when an anchor was given and found
    withheld: frozenset[str] = frozenset()  # tables whose records are counted, not named (a blinded reader)
    sealed: bool = True  # the records were checked against their seals (the embedded store; PostgreSQL audits in the database)

    @property
    def intact(self) -> bool:
        return self.total == 0

    def add(self, sentence: str) -> None:
        self.total += 1
        if len(self.problems) < MOST_SHOWN:
            self.problems.append(sentence)

    @property
    def shown(self) -> list[str]:
        """The named problems, with a last line counting those left out."""
        rest = self.total - len(self.problems)
        return self.problems + ([f"… and {rest:,} more problem(s) not listed."] if rest else [])

    @property
    def summary(self) -> str:
        if not self.intact:
            return f"The study database has been tampered with: {self.total:,} problem(s) found."
        anchored = f" and holds the anchored row {self.anchored_at:,}" if self.anchored_at else ""
        if not self.sealed:
            return (f"The study database is intact: the audit trail ({self.chain_rows:,} row(s)) is chained{anchored}, "
                    "and records no change made outside the system (the database audits every change of a study table, "
                    f"whoever makes it); {self.files:,} archived file(s) match their SHA-256.")
        return (f"The study database is intact: the audit trail ({self.chain_rows:,} row(s)) is chained{anchored}; "
                f"{self.records:,} record(s) in {self.tables} tables match what the audited writes left; "
                f"{self.files:,} archived file(s) match their SHA-256.")


def check_anchor(anchor: str) -> str:
    """The anchor as given, or a sentence saying what one looks like."""
    cleaned = anchor.strip().lower()
    if not _ANCHOR.match(cleaned):
        raise TrialError("An anchor is the 64-character hash that `trial audit --anchor` printed.")
    return cleaned


def verify(store, *, anchor: str | None = None, blinded: bool = False) -> Verdict:
    """Check the chain, the seals, every sealed table and the archived files (see the module);
    ``blinded``: the reader may not learn the arm, so the allocation tables' records are not named."""
    wanted = check_anchor(anchor) if anchor is not None else None
    verdict = Verdict(withheld=frozenset(ALLOCATION_DOMAINS) if blinded else frozenset())
    if getattr(store, "engine", None) == "postgresql":
        return _verify_server(store, verdict, wanted)
    cur = store.cursor()
    try:
        cur.begin()  # one snapshot: a write committed meanwhile cannot look like tampering
        present = seals.existing_tables(cur)
        for table in sorted(({"audit_trail", "row_seals"} | set(seals.SEALED)) - present):
            verdict.add(f"The table {table} is missing: it was dropped outside the system.")
        checks = [("the audit trail", lambda: _chain(cur, verdict, wanted), {"audit_trail"}),
                  ("the seal history", lambda: _seal_history(cur, verdict), {"audit_trail", "row_seals"})]
        checks += [(table, lambda t=table: _records(cur, t, verdict), {table, "row_seals"}) for table in seals.SEALED]
        checks += [("the rewritten records", lambda: _overwritten(cur, verdict), {"row_seals"}),
                   ("the archived files", lambda: _files(cur, verdict), {"uploads", "upload_files"})]
        for what, check, needs in checks:
            if needs <= present:
                _run(cur, verdict, what, check)
        cur.rollback()
    finally:
        cur.close()
    return verdict


def _verify_server(store, verdict: Verdict, anchor: str | None) -> Verdict:
    """A study on PostgreSQL: no row seals there, the database itself writes an audit row for every
    change of a study table, whoever makes it. So: the chain, every change the trail records as made
    outside the system (without the system's write path: ``DIRECT_…``), and the archived files, on the
    reader's copy of the study (one snapshot of the database)."""
    verdict.sealed = False
    cur = store.cursor()
    try:
        for what, check in (("the audit trail", lambda: _chain(cur, verdict, anchor)),
                            ("the changes made outside the system", lambda: _outside(cur, verdict)),
                            ("the archived files", lambda: _files(cur, verdict))):
            _run(cur, verdict, what, check)
    finally:
        cur.close()
    return verdict


def _outside(cur, verdict: Verdict) -> None:
    rows = cur.execute("SELECT audit_id, changed_at, user_name, action, table_name, record_key, column_name, new_value "
                       "FROM audit_trail WHERE starts_with(action, 'DIRECT_') ORDER BY audit_id").fetchall()
    for audit_id, at, user, action, table, key, column, new in rows:
        what = {"DIRECT_INSERT": f"{table}: {new}" if new else f"{table}: rows added",
                "DIRECT_DELETE": f"{table} {key}: removed",
                "DIRECT_UPDATE": f"{table} {key}: {column} changed"}.get(action, f"{table} {key}: {action}")
        verdict.add(f"{what} outside the system, by {user} at {at:%Y-%m-%d %H:%M:%S %Z} (audit row {audit_id}).")


def _run(cur, verdict: Verdict, what: str, check) -> None:
    """One check; a table whose columns were changed outside the system makes it fail: that is a
    problem to name, and the other checks go on (in a fresh snapshot: the failure ended this one)."""
    try:
        check()
    except duckdb.Error as exc:
        cur.rollback()
        cur.begin()
        reason = str(exc).splitlines()[0]
        verdict.add(f"{what[0].upper()}{what[1:]} could not be checked: its structure was changed outside the system "
                    f"({reason}).")


def anchor_of(store) -> tuple[str, int]:
    """The chain's head: its last row's hash and the number of rows (for ``trial audit --anchor``)."""
    cur = store.cursor()
    try:
        return audit.head(cur)
    finally:
        cur.close()


# --------------------------------------------------------------------------- 1. the chain
def _chain(cur, verdict: Verdict, anchor: str | None) -> None:
    for problem in audit.chain_problems(cur):
        verdict.add(problem)
    rows = cur.execute("SELECT audit_id, action, prev_hash, row_hash FROM audit_trail ORDER BY audit_id").fetchall()
    verdict.chain_rows = len(rows)
    if not rows:
        verdict.add("The audit trail is empty, yet the database holds a study: its history was removed.")
    elif rows[0][1] != "INIT":
        verdict.add(f"The audit trail does not begin with the study's creation (INIT) but with audit row {rows[0][0]} "
                    f"({rows[0][1]}): its first rows were removed.")
    if anchor is None:
        return
    position = next((i for i, row in enumerate(rows, start=1) if row[3] == anchor), None)
    if position is None:
        verdict.add(f"The anchored row (hash {anchor[:12]}…) is no longer in the audit trail: the trail was rewritten, "
                    "cut short or emptied after the anchor was taken.")
    else:
        verdict.anchored_at = position


# --------------------------------------------------------------------------- 2. the seal history
def _seal_history(cur, verdict: Verdict) -> None:
    found = seals.digests(cur, "SELECT * FROM row_seals")
    claimed = {a: (n, d) for a, n, d in cur.execute(
        "SELECT audit_id, seal_count, seal_digest FROM audit_trail WHERE seal_digest IS NOT NULL").fetchall()}
    in_trail = {a for (a,) in cur.execute("SELECT audit_id FROM audit_trail").fetchall()}
    for audit_id in sorted(found.keys() | claimed.keys()):
        seen, written = found.get(audit_id), claimed.get(audit_id)
        if seen == written:
            continue
        if written is not None:
            verdict.add(f"The seals of audit row {audit_id} were changed, removed or added to outside the system "
                        f"({seen[0] if seen else 0:,} found, {written[0]:,} written, and their digest differs).")
        elif audit_id in in_trail:
            verdict.add(f"{seen[0]:,} seal(s) name audit row {audit_id}, which wrote none: they were added outside the system.")
        else:
            verdict.add(f"{seen[0]:,} seal(s) name audit row {audit_id}, which is not in the trail: they were added "
                        "outside the system, or the row was removed.")


# --------------------------------------------------------------------------- 3. the records
_LATEST = """
    SELECT record_key, rows, row_hash, marks, audit_id FROM row_seals WHERE table_name = $table
    QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY audit_id DESC, step DESC) = 1
"""


def _records(cur, table: str, verdict: Verdict) -> None:
    entry = seals.SEALED[table]
    layout = seals.sealed_columns(cur, table)
    columns = [name for _, name, _ in layout]
    verdict.tables += 1
    verdict.records += cur.execute(f"SELECT count(*) FROM main.{table} AS t WHERE {entry.rows}").fetchall()[0][0]
    rows = cur.execute(
        f"""
        WITH held AS ({seals.records_sql(cur, table, columns=layout)}), latest AS ({_LATEST})
        SELECT coalesce(n.record_key, l.record_key) AS record_key, n.rows, l.rows, l.row_hash IS NOT NULL, n.marks, l.marks,
               l.audit_id, count(*) OVER ()
        FROM held AS n FULL JOIN latest AS l ON n.record_key = l.record_key
        WHERE n.row_hash IS DISTINCT FROM l.row_hash OR coalesce(n.rows, 0) <> coalesce(l.rows, 0)
        ORDER BY 1 LIMIT $most
        """,
        {"table": table, "most": MOST_SHOWN},
    ).fetchall()
    if rows and table in verdict.withheld:
        _withheld(verdict, table, rows[0][-1], "differ from what the audited writes left")
        return
    for key, now_rows, sealed_rows, sealed_present, now_marks, sealed_marks, audit_id, _ in rows:
        verdict.add(_record_sentence(entry.name(table, key), entry.grouped, now_rows, sealed_rows if sealed_present else None,
                                     _columns_differing(columns, now_marks, sealed_marks), audit_id))
    if rows:
        verdict.total += rows[0][-1] - len(rows)  # counted, not named


def _withheld(verdict: Verdict, table: str, count: int, what: str) -> None:
    """One sentence for the records of a table the reader may not have named; each counts."""
    verdict.add(f"{table}: {count:,} record(s) {what} (which ones is withheld from a blinded reader; "
                "an unblinded statistician's check names them).")
    verdict.total += count - 1


def _record_sentence(where: str, grouped: bool, now_rows, sealed_rows, columns: list[str], audit_id) -> str:
    left = f"audit row {audit_id}" if audit_id is not None else None
    if now_rows is None:
        return f"{where}: removed outside the system ({left} left it)."
    if sealed_rows is None:
        after = f" after {left} removed it" if left else ""
        return f"{where}: added outside the system{after} (no audited write left it)."
    if grouped:
        return (f"{where}: rows were changed, added or removed outside the system ({left} left {sealed_rows:,}, "
                f"there are {now_rows:,}).")
    if now_rows > sealed_rows:
        return f"{where}: a second row with this key was added outside the system ({left} left one)."
    if columns:
        named = " and ".join(columns) if len(columns) <= 3 else ", ".join(columns[:3]) + " and more"
        return f"{where}: {named} changed outside the system (it differs from what {left} left)."
    return f"{where}: changed outside the system (it differs from what {left} left)."


def _columns_differing(columns: list[str], now_marks, sealed_marks) -> list[str]:
    """The columns whose fingerprint bits differ between the row and its seal (none known when
    either has no marks; every column differing means the marks say nothing)."""
    if now_marks is None or sealed_marks is None:
        return []
    bits = seals.mark_bits(len(columns))
    mask = (1 << bits) - 1
    differ = now_marks ^ sealed_marks
    named = [c for i, c in enumerate(columns) if (differ >> ((i * bits) % 64)) & mask]
    return [] if len(named) == len(columns) > 1 else named


# only records sealed more than once, or whose one seal says a row was there before, can have been
# written over (most records have a single seal: they skip the sort)
_OVERWRITTEN = """
    SELECT table_name, record_key, audit_id, previous_audit_id FROM (
        SELECT table_name, record_key, audit_id, prior_hash,
               lag(row_hash) OVER w AS previous_hash, lag(audit_id) OVER w AS previous_audit_id
        FROM row_seals SEMI JOIN (
            SELECT table_name, record_key FROM row_seals GROUP BY table_name, record_key
            HAVING count(*) > 1 OR count(prior_hash) > 0
        ) AS resealed USING (table_name, record_key)
        WINDOW w AS (PARTITION BY table_name, record_key ORDER BY audit_id, step)
    ) WHERE prior_hash IS DISTINCT FROM previous_hash
"""


def _overwritten(cur, verdict: Verdict) -> None:
    """Records a legitimate write changed although they no longer were as their previous seal says:
    an outside change that the write covered over (each seal keeps the record's hash from before)."""
    counts = dict(cur.execute(f"SELECT table_name, count(*) FROM ({_OVERWRITTEN}) GROUP BY table_name").fetchall())
    for table in sorted(counts.keys() & verdict.withheld):
        _withheld(verdict, table, counts[table], "were changed outside the system before a later audited write wrote over them")
    named = sorted(counts.keys() - verdict.withheld)
    if not named:
        return
    rows = cur.execute(
        f"SELECT * FROM ({_OVERWRITTEN}) WHERE list_contains($tables, table_name) ORDER BY audit_id, table_name, record_key "
        "LIMIT $most",
        {"tables": named, "most": MOST_SHOWN},
    ).fetchall()
    for table, key, audit_id, previous in rows:
        entry = seals.SEALED.get(table, seals.Sealed(()))
        since = f"after audit row {previous} left it" if previous is not None else "without any audited write"
        verdict.add(f"{entry.name(table, key)}: was changed outside the system {since}, before audit row {audit_id} "
                    "wrote over it.")
    verdict.total += sum(counts[t] for t in named) - len(rows)  # counted, not named


# --------------------------------------------------------------------------- 4. the archived files
def _files(cur, verdict: Verdict) -> None:
    uploads = cur.execute("SELECT sha256, list(upload_id ORDER BY upload_id), min(file_name) FROM uploads GROUP BY sha256 "
                          "ORDER BY min(upload_id)").fetchall()
    for sha256, upload_ids, file_name in uploads:
        row = cur.execute("SELECT codec, size_bytes, content FROM upload_files WHERE sha256 = $s", {"s": sha256}).fetchall()
        try:
            unpacked(sha256, *(row[0] if row else (None, None, None)))
        except ArchiveTampered as exc:
            which = f"Upload {upload_ids[0]}" if len(upload_ids) == 1 else f"Uploads {', '.join(map(str, upload_ids))}"
            verdict.add(f"{which} ({file_name}): {exc}.")
        else:
            verdict.files += 1
