"""The store: the one place that knows the database engine.

``database`` opens, creates and migrates a study database and runs its transactions (``Store``,
the only name the rest of the system imports from here); ``sqlfiles`` reads the SQL kept under
``trial/sql/``; ``audit`` writes the hash-chained audit trail and ``seals`` the row seals every
write stores with it; ``archive`` keeps the raw bytes of every upload; ``definition`` is the study
definition as table rows, for either engine; ``postgres`` creates a study on PostgreSQL with the
boundary its database enforces (roles, row-level security, column privileges, the audit triggers),
and ``postgres_accounts`` makes each account a role of it;
``server`` reads such a study as one account's role, through an in-process DuckDB copy of what the
role may select, and ``server_write`` replays a write made on that copy to the database, as the role.
Writing the trail belongs here, beside the transaction it is part of, so that a server engine can
enforce it in the database itself (grants and triggers); who may read the trail is governance's
question.
"""

from trial.store.database import Store

__all__ = ["Store"]
