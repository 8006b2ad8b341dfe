"""The two counters caches key on, kept as rows of ``meta`` in both engines.

``data_version`` grows with every committed change of the study's data: the domains, randomization,
unblinding, the lock and the study's definition: what the analysis datasets, the ARD, the pack and
every page of results read. ``work_version`` grows with the work around the data: data queries and
their messages, accounts and their roles. A query opened or an account added leaves the data version,
and so the ARD and a pack already built, as they were; the pages that show queries or accounts key on
both (``Store.versions``). Sign-ins, sessions and export notes move neither in the embedded file; on
PostgreSQL the triggers move the counter of each table written, so a sign-in that changes an account's
row (its failed attempts) moves the work version.
"""

from __future__ import annotations

DATA = "data_version"
WORK = "work_version"
COUNTERS = (DATA, WORK)
# the tables whose changes are work, not data (on PostgreSQL their triggers move work_version)
WORK_TABLES = ("users", "account_roles", "data_queries", "query_messages")


def bump(counter: str) -> str:
    """The DuckDB statement that moves one counter by one."""
    if counter not in COUNTERS:
        raise ValueError(f"no counter {counter!r}; one of {', '.join(COUNTERS)}")
    return f"UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = '{counter}'"
