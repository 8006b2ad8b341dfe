"""Database lock: once the data are final, a statistician locks the database; uploads and
corrections are then refused until someone unlocks it with a reason. Both are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trial.errors import TrialError
from trial.governance.access import Permission, require
from trial.governance.users import User, has_accounts, sign
from trial.store import Store, audit, seals


class DatabaseIsLocked(TrialError):
    """A write was asked of a locked database."""


@dataclass(frozen=True)
class LockState:
    locked: bool
    user_name: str | None = None
    at: dt.datetime | None = None
    reason: str | None = None

    @property
    def label(self) -> str:
        """``LOCKED`` or ``UNLOCKED``, as the pack prints it."""
        return "LOCKED" if self.locked else "UNLOCKED"

    @property
    def sentence(self) -> str:
        if not self.locked:
            return "The database is not locked."
        return f"The database was locked on {self.at:%Y-%m-%d %H:%M} UTC by {self.user_name} ({self.reason})."


LAST = "SELECT action, user_name, epoch_us(changed_at), reason FROM lock_history ORDER BY lock_id DESC LIMIT 1"


def lock_state(store: Store) -> LockState:
    cur = store.cursor()
    try:
        return state_on(cur)
    finally:
        cur.close()


def state_on(cur) -> LockState:
    """The lock state as seen by ``cur`` (inside a transaction, say)."""
    rows = cur.execute(LAST).fetchall()  # fetched whole: an unfinished result would block the cursor
    row = rows[0] if rows else None
    if row is None or row[0] == "UNLOCK":
        return LockState(False)
    _, user, micros, reason = row
    return LockState(True, user, dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros), reason)


def refuse_if_locked(cur) -> None:
    """Raise :class:`DatabaseIsLocked` with a sentence saying why, when the database is locked."""
    state = state_on(cur)
    if state.locked:
        raise DatabaseIsLocked(f"{state.sentence} Uploads and corrections are refused until it is unlocked "
                               "(by a statistician or an administrator: trial unlock --reason …, or the Administration page).")


def lock(store: Store, *, user: str, reason: str) -> LockState:
    return _change(store, "LOCK", user=user, reason=reason)


def unlock(store: Store, *, user: str, reason: str) -> LockState:
    return _change(store, "UNLOCK", user=user, reason=reason)


def _change(store: Store, action: str, *, user: str, reason: str) -> LockState:
    if not (reason and reason.strip()):
        raise TrialError(f"A reason is needed to {action.lower()} the database (--reason \"…\").")
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as cur:
        current = state_on(cur)
        if current.locked == (action == "LOCK"):
            raise TrialError(current.sentence if current.locked else "The database is not locked: there is nothing to unlock.")
        lock_id = cur.execute(
            "INSERT INTO lock_history (action, user_name, changed_at, reason) VALUES ($a, $u, $at, $r) RETURNING lock_id",
            {"a": action, "u": user, "at": now, "r": reason.strip()},
        ).fetchall()[0][0]
        seals.added(cur, "lock_history", "t.lock_id = $id", {"id": lock_id})
        audit.record(cur, [audit.Event(user, action, reason=reason.strip())], at=now)
    return lock_state(store)


def signed_lock(store: Store, who: User, *, reason: str, password: str | None) -> LockState:
    """Lock as ``who``, a statistician or administrator, who signs it with their password."""
    return _signed(store, who, "LOCK", reason=reason, password=password)


def signed_unlock(store: Store, who: User, *, reason: str, password: str | None) -> LockState:
    """Unlock as ``who``, a statistician or administrator, who signs it with their password."""
    return _signed(store, who, "UNLOCK", reason=reason, password=password)


def _signed(store: Store, who: User, action: str, *, reason: str, password: str | None) -> LockState:
    require(who, Permission.LOCK)
    if not (reason and reason.strip()):
        raise TrialError(f"A reason is needed to {action.lower()} the database.")
    if has_accounts(store):  # an open study (no accounts yet) has nobody to sign
        if not password:
            raise TrialError(f"To {action.lower()} the database, {who.user_name} signs with their password.")
        sign(store.accounts, who.user_name, password, f"{action.lower()} the database: {reason.strip()}")
    return _change(store, action, user=who.user_name, reason=reason)
