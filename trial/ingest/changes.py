"""What an upload changes, by key: rows new to the study, rows already there as they are, and
corrections (same key, other values), cell by cell. Also the keys a file repeats.

The corrected cells are kept in a temporary table (``incoming_changes``) next to ``incoming``: the
plan counts them and lists the first few, the load updates the rows they name, and the audit trail
reads them all in batches, so a file that corrects millions of cells never has them all in Python.
The SQL is built from the domain registry's own column names, never from the file's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb

from schemas import Domain
from trial import findings as fd
from trial.store.sqlfiles import key_match

INCOMING = "incoming"
CHANGES = "incoming_changes"


@dataclass(frozen=True)
class Change:
    line: int
    key: str
    column: str
    old: str | None
    new: str | None


@dataclass
class Plan:
    new_rows: int
    unchanged_rows: int
    corrected_rows: int = 0
    changed_cells: int = 0
    changes: list[Change] = field(default_factory=list)  # the first corrected cells, by line
    compared: list[str] = field(default_factory=list)  # the file's columns compared (and corrected): neither key nor withheld

    @property
    def all_new(self) -> bool:
        return self.unchanged_rows == 0 and not self.changed_cells

    @property
    def matched_rows(self) -> int:
        """Rows of the file whose key the study (as the uploader sees it) already holds."""
        return self.unchanged_rows + self.corrected_rows


def record_key(values) -> str:
    return " / ".join("" if v is None else fd.show(v) for v in values)


def _key_sql(domain: Domain, alias: str) -> str:
    return ", ".join(f"{alias}.{k}" for k in domain.key)


def duplicate_keys(cur: duckdb.DuckDBPyConnection, domain: Domain, budget: fd.Budget | None = None) -> list[fd.Finding]:
    """Every line whose key an earlier line of the same file already has (as many as ``budget`` lists)."""
    keys = ", ".join(domain.key)
    # The usual case first, cheaply: if every row's key hashes differently, no key repeats
    # (a hash collision only sends the file on to the exact query below).
    surplus = cur.execute(f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {INCOMING}").fetchone()[0]
    if surplus == 0:
        return []
    repeats = f"""
        SELECT _line, first_line, {keys} FROM (
            SELECT _line, {keys}, min(_line) OVER (PARTITION BY {keys}) AS first_line FROM {INCOMING}
            WHERE {' AND '.join(f'{k} IS NOT NULL' for k in domain.key)}
        ) WHERE _line > first_line"""
    budget = budget or fd.Budget()
    total = cur.execute(f"SELECT count(*) FROM ({repeats})").fetchone()[0]
    shown = budget.take("duplicate_key", fd.Severity.ERROR, total)
    rows = cur.execute(f"{repeats} ORDER BY _line LIMIT $most", {"most": shown}).fetchall()
    names = " / ".join(domain.key)
    return [
        fd.error(
            line,
            domain.key[-1],
            record_key(key),
            "duplicate_key",
            f"{names} {record_key(key)} is already on line {first} of this file; each appears once",
        )
        for line, first, *key in rows
    ]


def plan_changes(cur: duckdb.DuckDBPyConnection, domain: Domain, present: list[str], withheld=frozenset(),
                 most: int | None = None) -> Plan:
    """Compare the file's rows with the study table by key. ``present``: the file's columns;
    ``withheld``: columns the uploader may not read, which are neither compared nor corrected;
    ``most``: how many corrected cells to list in the plan (None: all)."""
    table = domain.name
    compared = [c for c in present if c not in domain.key and c not in withheld]
    matched = cur.execute(
        f"SELECT count(*) FROM {INCOMING} AS i JOIN {table} AS t ON {key_match(domain.key, 'i', 't')}"
    ).fetchone()[0]
    total = cur.execute(f"SELECT count(*) FROM {INCOMING}").fetchone()[0]
    plan = Plan(new_rows=total - matched, unchanged_rows=matched, compared=compared)
    cur.execute(f"DROP TABLE IF EXISTS temp.{CHANGES}")  # a batch's earlier file left its own
    if not (matched and compared):
        return plan
    diffs = " UNION ALL ".join(
        f"SELECT i._line, {_key_sql(domain, 'i')}, {ordinal} AS ordinal, '{c}' AS column_name, "
        f"CAST(t.{c} AS VARCHAR) AS old, CAST(i.{c} AS VARCHAR) AS new "
        f"FROM {INCOMING} AS i JOIN {table} AS t ON {key_match(domain.key, 'i', 't')} "
        f"WHERE i.{c} IS DISTINCT FROM t.{c}"
        for ordinal, c in enumerate(compared)
    )
    cur.execute(f"CREATE TEMP TABLE {CHANGES} AS SELECT row_number() OVER (ORDER BY _line, ordinal) AS seq, "
                f"* EXCLUDE (ordinal) FROM ({diffs}) ORDER BY seq")
    plan.changed_cells, plan.corrected_rows = cur.execute(f"SELECT count(*), count(DISTINCT _line) FROM {CHANGES}").fetchone()
    plan.unchanged_rows = matched - plan.corrected_rows
    if plan.changed_cells:
        plan.changes = next(_changes(cur, 0, plan.changed_cells if most is None else most), [])
    return plan


def _changes(cur: duckdb.DuckDBPyConnection, after: int, size: int) -> Iterator[list[Change]]:
    """The corrected cells from number ``after`` on, ``size`` at a time, fetched whole (the caller
    may write on ``cur`` between batches)."""
    while size > 0:
        rows = cur.execute(f"SELECT * FROM {CHANGES} WHERE seq > $after ORDER BY seq LIMIT $size",
                           {"after": after, "size": size}).fetchall()
        if not rows:
            return
        yield [Change(line, record_key(key), column, old, new) for _seq, line, *key, column, old, new in rows]
        after = rows[-1][0]


def all_changes(cur: duckdb.DuckDBPyConnection, batch: int = 50_000) -> Iterator[list[Change]]:
    """Every corrected cell of the plan made last on ``cur``, in batches, by line."""
    yield from _changes(cur, 0, batch)


def changes_of(cur: duckdb.DuckDBPyConnection, plan: Plan, columns, most: int) -> tuple[list[Change], int]:
    """The first ``most`` corrected cells of ``plan`` (the plan made last on ``cur``) in ``columns``
    that held a value, by line, and how many there are in all."""
    if not (columns and plan.changed_cells):
        return [], 0
    where = "column_name IN (SELECT unnest($columns)) AND old IS NOT NULL"
    total = cur.execute(f"SELECT count(*) FROM {CHANGES} WHERE {where}", {"columns": list(columns)}).fetchone()[0]
    rows = cur.execute(f"SELECT * FROM {CHANGES} WHERE {where} ORDER BY seq LIMIT $most",
                       {"columns": list(columns), "most": most}).fetchall()
    return [Change(line, record_key(key), column, old, new) for _seq, line, *key, column, old, new in rows], total


def taken_out_of_view(cur: duckdb.DuckDBPyConnection, domain: Domain, base: str, skip: set[int],
                      held: str | None = None) -> list[fd.Finding]:
    """Lines (other than ``skip``) whose key, or a value of a column no two records share, is
    already used by a record in ``base`` (the study table itself) that the uploader's view of it
    (the table name, shadowed) does not hold. Such a line cannot load, and the sentence says
    only that: nothing of the record it collides with. Where the table itself cannot be read here (a
    PostgreSQL study read as the uploader's role), ``held`` names the lines (line, column_name) the
    database says such a record holds (see :meth:`trial.store.Store.held_outside_view`)."""
    table = domain.name
    found = []

    def elsewhere(column: str | None) -> str:
        if held is not None:
            return f"i._line IN (SELECT line FROM {held} WHERE column_name {'IS NULL' if column is None else f'= {column!r}'})"
        if column is None:
            return f"EXISTS (SELECT 1 FROM {base} AS b WHERE {key_match(domain.key, 'i', 'b')})"
        return f"EXISTS (SELECT 1 FROM {base} AS b WHERE b.{column} = i.{column} AND NOT ({key_match(domain.key, 'i', 'b')}))"

    outside = f"{elsewhere(None)} AND NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key_match(domain.key, 'i', 't')})"
    names = " / ".join(domain.key)
    for line, *key in cur.execute(f"SELECT i._line, {_key_sql(domain, 'i')} FROM {INCOMING} AS i WHERE {outside} ORDER BY 1").fetchall():
        if line not in skip:
            found.append(fd.error(line, domain.key[-1], record_key(key), "key_outside_view",
                                  f"{names} {record_key(key)} is already in the study, in a record you may not see "
                                  "(another site's); this line cannot be loaded from your file"))
    for column in domain.unique:
        taken = (f"i.{column} IS NOT NULL AND {elsewhere(column)} AND NOT EXISTS (SELECT 1 FROM {table} AS t "
                 f"WHERE t.{column} = i.{column} AND NOT ({key_match(domain.key, 'i', 't')}))")
        for line, value in cur.execute(f"SELECT i._line, i.{column} FROM {INCOMING} AS i WHERE {taken} ORDER BY 1").fetchall():
            if line not in skip:
                found.append(fd.error(line, column, value, "unique_outside_view",
                                      f"{fd.show(value)} is already used in the study, by a record you may not see "
                                      f"(another site's); each {column} is used once"))
    return found


def apply_changes(cur: duckdb.DuckDBPyConnection, domain: Domain, plan: Plan, upload_id: int) -> None:
    """Insert the new rows and update the corrected cells, stamping them with the upload."""
    table = domain.name
    columns = domain.column_names
    if plan.new_rows:
        only_new = "" if plan.all_new else f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key_match(domain.key, 'i', 't')})"
        cur.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, upload_id, source_line) "
            f"SELECT {', '.join(f'i.{c}' for c in columns)}, $upload_id, i._line FROM {INCOMING} AS i {only_new}",
            {"upload_id": upload_id},
        )
    if plan.changed_cells:
        assignments = ", ".join(f"{c} = i.{c}" for c in plan.compared)
        cur.execute(
            f"UPDATE {table} AS t SET {assignments}, upload_id = $upload_id, source_line = i._line "
            f"FROM {INCOMING} AS i WHERE {key_match(domain.key, 'i', 't')} AND i._line IN (SELECT _line FROM {CHANGES})",
            {"upload_id": upload_id},
        )
