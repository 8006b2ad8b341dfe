"""Accounts, roles and sign-in.

Roles: ADMIN (accounts, lock), SITE_STAFF (own site: upload, correct, answer queries), EVALUATOR
(own site, blinded: assessments only), MONITOR (all sites, blinded), STATISTICIAN (all sites,
unblinded). A user may hold several. Passwords are kept only as argon2id hashes; five failed
sign-ins in a row lock the account for a quarter of an hour; dashboard sessions expire. Every
sign-in, failed sign-in and account change is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from trial import audit, seals
from trial.errors import TrialError
from trial.store import Store

MOST_FAILED_SIGN_INS = 5
LOCK_OUT = dt.timedelta(minutes=15)
SESSION_LENGTH = dt.timedelta(hours=8)
SHORTEST_PASSWORD = 10
_hasher = PasswordHasher()
_THIS_ACCOUNT = "t.user_name = $u"  # what an account change seals (trial.seals)
_THIS_SESSION = "t.token_hash = $t"  # what a session change seals


class Role(StrEnum):
    ADMIN = "ADMIN"
    SITE_STAFF = "SITE_STAFF"
    EVALUATOR = "EVALUATOR"
    MONITOR = "MONITOR"
    STATISTICIAN = "STATISTICIAN"


SITE_ROLES = {Role.SITE_STAFF, Role.EVALUATOR}  # these see their own site only


class SignInRefused(TrialError):
    """Wrong name or password, a disabled account, or one locked out after failed attempts."""


@dataclass(frozen=True)
class User:
    user_name: str
    roles: frozenset[Role]
    site_id: str | None = None
    full_name: str | None = None

    @property
    def blinded(self) -> bool:
        """Only a statistician sees the arms; everyone else sees pooled data. An evaluator never
        does, whatever other role the account also holds."""
        return Role.STATISTICIAN not in self.roles or Role.EVALUATOR in self.roles

    @property
    def sites(self) -> frozenset[str] | None:
        """The sites whose rows this user may receive; None for all sites."""
        if self.roles & {Role.MONITOR, Role.STATISTICIAN, Role.ADMIN}:
            return None
        return frozenset({self.site_id}) if self.site_id else frozenset()

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _roles(names) -> frozenset[Role]:
    try:
        return frozenset(Role(str(n).upper()) for n in names)
    except ValueError:
        raise TrialError(f"Roles are {', '.join(Role)}; {', '.join(map(str, names))} is not.") from None


def add_user(store: Store, user_name: str, password: str, roles, *, site_id: str | None = None,
             full_name: str | None = None, by: str) -> User:
    """Create an account. Site staff and evaluators need the site they work at."""
    chosen = _roles(roles)
    if not chosen:
        raise TrialError("An account needs at least one role.")
    if chosen & SITE_ROLES and not site_id:
        raise TrialError(f"{' and '.join(sorted(chosen & SITE_ROLES))} see one site: give it with --site.")
    if site_id and site_id not in {s.id for s in store.study.sites}:
        raise TrialError(f"{site_id} is not a site of the study; the sites are {', '.join(s.id for s in store.study.sites)}.")
    _check_password(password)
    with store.transaction() as cur:
        if cur.execute("SELECT count(*) FROM users WHERE user_name = $u", {"u": user_name}).fetchall()[0][0]:
            raise TrialError(f"There is already an account named {user_name}.")
        cur.execute(
            "INSERT INTO users (user_name, full_name, password_hash, roles, site_id, created_at) VALUES ($u, $f, $h, $r, $s, $at)",
            {"u": user_name, "f": full_name, "h": _hasher.hash(password), "r": sorted(chosen), "s": site_id, "at": _now()},
        )
        seals.added(cur, "users", _THIS_ACCOUNT, {"u": user_name})
        audit.record(cur, [audit.Event(by, "USER_ADD", "users", user_name, new_value=f"{','.join(sorted(chosen))} {site_id or 'all sites'}")])
    return User(user_name, chosen, site_id, full_name)


def _check_password(password: str) -> None:
    if len(password) < SHORTEST_PASSWORD:
        raise TrialError(f"A password needs at least {SHORTEST_PASSWORD} characters.")


def set_password(store: Store, user_name: str, password: str, *, by: str) -> None:
    _check_password(password)
    with store.transaction() as cur:
        _require(cur, user_name)
        with seals.rewriting(cur, "users", _THIS_ACCOUNT, {"u": user_name}):
            cur.execute("UPDATE users SET password_hash = $h, failed_attempts = 0, locked_until = NULL WHERE user_name = $u",
                        {"h": _hasher.hash(password), "u": user_name})
        audit.record(cur, [audit.Event(by, "USER_PASSWORD", "users", user_name)])


def set_active(store: Store, user_name: str, active: bool, *, by: str) -> None:
    with store.transaction() as cur:
        _require(cur, user_name)
        with seals.rewriting(cur, "users", _THIS_ACCOUNT, {"u": user_name}):
            cur.execute("UPDATE users SET active = $a WHERE user_name = $u", {"a": active, "u": user_name})
        audit.record(cur, [audit.Event(by, "USER_ENABLE" if active else "USER_DISABLE", "users", user_name)])


def _require(cur, user_name: str) -> None:
    if not cur.execute("SELECT count(*) FROM users WHERE user_name = $u", {"u": user_name}).fetchall()[0][0]:
        raise TrialError(f"There is no account named {user_name}.")


def has_accounts(store: Store) -> bool:
    """Whether any account exists. Before the first, the study runs open: see :func:`acting_user`."""
    return bool(store.scalar("SELECT count(*) FROM users"))


def account(store: Store, user_name: str) -> User | None:
    """The active account of that name, or None."""
    rows = store.query("SELECT roles, site_id, full_name FROM users WHERE user_name = $u AND active", {"u": user_name})
    if rows.empty:
        return None
    row = rows.iloc[0]
    return User(user_name, _roles(row.roles), row.site_id, row.full_name)


OPEN_ROLES = frozenset({Role.ADMIN, Role.SITE_STAFF, Role.MONITOR, Role.STATISTICIAN})


def acting_user(store: Store, user_name: str) -> User:
    """Who a command acts as. Once accounts exist the name must be an active account and its roles
    and site apply; before the first account (setting a study up, the demo) the study is open and
    the name acts with every role but the evaluator's, unblinded, at every site."""
    if not has_accounts(store):
        return User(user_name, OPEN_ROLES)
    found = account(store, user_name)
    if found is None:
        raise TrialError(
            f"{user_name} has no active account in this study; name yours with --user NAME (or TRIAL_USER). "
            "An administrator lists them with `trial users`."
        )
    return found


def list_users(store: Store):
    return store.query(
        "SELECT user_name, full_name, roles, site_id, active, failed_attempts, locked_until, created_at FROM users ORDER BY user_name"
    )


def sign_in(store: Store, user_name: str, password: str) -> User:
    """Check a password; a wrong one counts towards the lock-out. Raises :class:`SignInRefused`
    (after the failure is written: the count and the audit row must outlive the refusal)."""
    return _authenticate(store, user_name, password, ("SIGN_IN", "SIGN_IN_FAILED"), None)


def sign(store: Store, user_name: str, password: str, meaning: str) -> User:
    """An electronic signature: the signer enters their password again to confirm ``meaning``
    (e.g. "lock the database: final data review complete"). Audited as E_SIGNATURE with the
    meaning; a wrong password counts towards the lock-out like a failed sign-in."""
    return _authenticate(store, user_name, password, ("E_SIGNATURE", "E_SIGNATURE_FAILED"), meaning)


def _authenticate(store: Store, user_name: str, password: str, actions: tuple[str, str], meaning: str | None) -> User:
    now = _now()
    with store.transaction(data_change=False) as cur:
        rows = cur.execute(
            "SELECT password_hash, roles, site_id, full_name, active, failed_attempts, epoch_us(locked_until) FROM users WHERE user_name = $u",
            {"u": user_name},
        ).fetchall()
        refusal, why = _refusal(cur, rows, user_name, password, now)
        succeeded, failed = actions
        audit.record(cur, [audit.Event(user_name, failed if refusal else succeeded, new_value=meaning, reason=why)], at=now)
    if refusal:
        raise SignInRefused(refusal)
    _, roles, site_id, full_name, *_ = rows[0]
    return User(user_name, _roles(roles), site_id, full_name)


def _refusal(cur, rows, user_name: str, password: str, now: dt.datetime) -> tuple[str | None, str | None]:
    """Why a sign-in is refused (a sentence for the person, a reason for the trail), or (None, None);
    counts a wrong password and locks the account out at the fifth."""
    if not rows:
        return "The name or the password is wrong.", "no such account"
    password_hash, _, _, _, active, failed, locked_until = rows[0]
    if locked_until is not None and _from_micros(locked_until) > now:
        return f"Too many failed sign-ins: the account is locked until {_from_micros(locked_until):%H:%M} UTC.", "account locked out"
    if not active:
        return "This account is disabled; ask an administrator.", "account disabled"
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        failed += 1
        until = now + LOCK_OUT if failed >= MOST_FAILED_SIGN_INS else None
        cur.execute("UPDATE users SET failed_attempts = $f, locked_until = $l WHERE user_name = $u",
                    {"f": 0 if until else failed, "l": until, "u": user_name})
        if until:
            return f"Too many failed sign-ins: the account is locked for {LOCK_OUT.seconds // 60} minutes.", "wrong password, locked out"
        return "The name or the password is wrong.", "wrong password"
    cur.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE user_name = $u", {"u": user_name})
    return None, None


def _from_micros(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, user: User, *, length: dt.timedelta = SESSION_LENGTH) -> str:
    """A new session token for a signed-in user (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with store.transaction(data_change=False) as cur:
        cur.execute("INSERT INTO user_sessions VALUES ($t, $u, $c, $e, NULL)",
                    {"t": _token_hash(token), "u": user.user_name, "c": now, "e": now + length})
        seals.added(cur, "user_sessions", _THIS_SESSION, {"t": _token_hash(token)})
        audit.record(cur, [audit.Event(user.user_name, "SESSION_START", "user_sessions")], at=now)
    return token


def session_user(store: Store, token: str | None) -> User | None:
    """The user of a live session, or None when the token is unknown, ended or expired."""
    if not token:
        return None
    rows = store.query(
        """
        SELECT u.user_name, u.roles, u.site_id, u.full_name FROM user_sessions AS s JOIN users AS u USING (user_name)
        WHERE s.token_hash = $t AND s.ended_at IS NULL AND s.expires_at > now() AND u.active
        """,
        {"t": _token_hash(token)},
    )
    if rows.empty:
        return None
    row = rows.iloc[0]
    return User(row.user_name, _roles(row.roles), row.site_id, row.full_name)


def end_session(store: Store, token: str) -> None:
    token_hash = _token_hash(token)
    with store.transaction(data_change=False) as cur:
        rows = cur.execute("SELECT user_name FROM user_sessions WHERE token_hash = $t AND ended_at IS NULL",
                           {"t": token_hash}).fetchall()
        if not rows:
            return
        with seals.rewriting(cur, "user_sessions", _THIS_SESSION, {"t": token_hash}):
            cur.execute("UPDATE user_sessions SET ended_at = $n WHERE token_hash = $t", {"n": _now(), "t": token_hash})
        audit.record(cur, [audit.Event(rows[0][0], "SESSION_END", "user_sessions")])
