"""What an upload changes, by key: rows new to the study, rows already there as they are, and
corrections (same key, other values), cell by cell. Also the keys a file repeats.

The SQL is built from the domain registry's own column names, never from the file's text.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from schemas import Domain
from trial import findings as fd

INCOMING = "incoming"


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
    changes: list[Change]

    @property
    def all_new(self) -> bool:
        return self.unchanged_rows == 0 and not self.changes

    @property
    def corrected_rows(self) -> int:
        return len({c.line for c in self.changes})


def record_key(values) -> str:
    return " / ".join("" if v is None else fd.show(v) for v in values)


def _key_sql(domain: Domain, alias: str) -> str:
    return ", ".join(f"{alias}.{k}" for k in domain.key)


def key_match(domain: Domain, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in domain.key)


def duplicate_keys(cur: duckdb.DuckDBPyConnection, domain: Domain) -> list[fd.Finding]:
    """Every line whose key an earlier line of the same file already has."""
    keys = ", ".join(domain.key)
    # The usual case first, cheaply: if every row's key hashes differently, no key repeats
    # (a hash collision only sends the file on to the exact query below).
    surplus = cur.execute(f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {INCOMING}").fetchone()[0]
    if surplus == 0:
        return []
    rows = cur.execute(
        f"""
        SELECT _line, first_line, {keys} FROM (
            SELECT _line, {keys}, min(_line) OVER (PARTITION BY {keys}) AS first_line FROM {INCOMING}
            WHERE {' AND '.join(f'{k} IS NOT NULL' for k in domain.key)}
        ) WHERE _line > first_line ORDER BY _line
        """
    ).fetchall()
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


def plan_changes(cur: duckdb.DuckDBPyConnection, domain: Domain, present: list[str]) -> Plan:
    """Compare the file's rows with the study table by key. ``present``: the file's columns."""
    table = domain.name
    compared = [c for c in present if c not in domain.key]
    matched = cur.execute(
        f"SELECT count(*) FROM {INCOMING} AS i JOIN {table} AS t ON {key_match(domain, 'i', 't')}"
    ).fetchone()[0]
    total = cur.execute(f"SELECT count(*) FROM {INCOMING}").fetchone()[0]
    changes: list[Change] = []
    if matched and compared:
        diffs = " UNION ALL ".join(
            f"SELECT i._line, {_key_sql(domain, 'i')}, '{c}' AS column_name, "
            f"CAST(t.{c} AS VARCHAR) AS old, CAST(i.{c} AS VARCHAR) AS new "
            f"FROM {INCOMING} AS i JOIN {table} AS t ON {key_match(domain, 'i', 't')} "
            f"WHERE i.{c} IS DISTINCT FROM t.{c}"
            for c in compared
        )
        for line, *rest in cur.execute(f"SELECT * FROM ({diffs}) ORDER BY 1, 2").fetchall():
            *key, column, old, new = rest
            changes.append(Change(line, record_key(key), column, old, new))
    corrected = len({c.line for c in changes})
    return Plan(new_rows=total - matched, unchanged_rows=matched - corrected, changes=changes)


def apply_changes(cur: duckdb.DuckDBPyConnection, domain: Domain, present: list[str], plan: Plan, upload_id: int) -> None:
    """Insert the new rows and update the corrected cells, stamping them with the upload."""
    table = domain.name
    columns = domain.column_names
    if plan.new_rows:
        only_new = "" if plan.all_new else f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key_match(domain, 'i', 't')})"
        cur.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, upload_id, source_line) "
            f"SELECT {', '.join(f'i.{c}' for c in columns)}, $upload_id, i._line FROM {INCOMING} AS i {only_new}",
            {"upload_id": upload_id},
        )
    if plan.changes:
        assignments = ", ".join(f"{c} = i.{c}" for c in present if c not in domain.key)
        lines = sorted({c.line for c in plan.changes})
        cur.execute(
            f"UPDATE {table} AS t SET {assignments}, upload_id = $upload_id, source_line = i._line "
            f"FROM {INCOMING} AS i WHERE {key_match(domain, 'i', 't')} AND i._line IN (SELECT unnest($lines))",
            {"upload_id": upload_id, "lines": lines},
        )
