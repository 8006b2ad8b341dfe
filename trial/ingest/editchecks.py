"""Edit checks across files: SQL in ``trial/sql/ingest/checks``, run against the store.

Each check file declares its rule, severity, the column it reports against, the domains it applies
to and a sentence template in its header; its query selects ``line`` and ``value`` (and any field
the template names) from ``incoming``, the typed rows of the file being uploaded. Each check is
counted first, and only the rows the budget lists are fetched (by line).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb

from trial import findings as fd
from trial.study import code_words
from trial.store.sqlfiles import bind, header, sql_names, sql_text


@dataclass(frozen=True)
class EditCheck:
    rule: str
    severity: fd.Severity
    column: str
    domains: frozenset[str]
    message: str
    sql: str


@cache
def edit_checks() -> tuple[EditCheck, ...]:
    checks = []
    for name in sql_names("ingest/checks"):
        text = sql_text(name)
        meta = header(text)
        checks.append(
            EditCheck(
                rule=meta["name"],
                severity=fd.Severity(meta["severity"]),
                column=meta["column"],
                domains=frozenset(meta["domains"].split()),
                message=meta["message"],
                sql=text,
            )
        )
    return tuple(checks)


def run_edit_checks(cur: duckdb.DuckDBPyConnection, domain: str, parameters: dict,
                    budget: fd.Budget | None = None) -> list[fd.Finding]:
    """Every edit check of ``domain`` on the registered ``incoming`` rows (as many as ``budget`` lists)."""
    budget = budget or fd.Budget()
    found = []
    for check in edit_checks():
        if domain not in check.domains:
            continue
        values = bind(check.sql, parameters)
        total = cur.execute(f"SELECT count(*) FROM ({check.sql})", values).fetchone()[0]
        shown = budget.take(check.rule, check.severity, total)
        if not shown:
            continue
        result = cur.execute(f"SELECT * FROM ({check.sql}) ORDER BY line LIMIT {shown:d}", values)
        names = [d[0] for d in result.description]
        for row in result.fetchall():
            values = {n: fd.show(v) for n, v in zip(names, row, strict=True)}
            if "visit" in values:  # a check's message may name the visit in words: "the Week 8 window"
                values["visit_label"] = code_words(str(values["visit"]))
            found.append(
                fd.Finding(
                    int(row[0]),
                    check.column,
                    values["value"],
                    check.rule,
                    check.severity,
                    check.message.format(**values),
                )
            )
    return found
