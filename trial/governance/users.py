"""Accounts, roles and sign-in.

Roles: ADMIN (accounts, lock), SITE_STAFF (own site: upload, correct, answer queries), EVALUATOR
(own site, always blinded: assessments only), MONITOR (all sites), STATISTICIAN (all sites). A user
may hold several; which roles are blinded is the study's ``[blinding]`` (``trial.study.Blinding``).
Passwords are kept only as argon2id hashes; five failed sign-ins (or signatures) in a row lock the
account for a quarter of an hour. Sessions (the browser's and ``trial login``'s alike) expire after
eight hours, and end at once when the account is locked out, disabled or given a new password.
Every sign-in, failed sign-in and account change is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from trial.errors import TrialError
from trial.store import Store, audit, seals, versions
from trial.study import Blinding

MOST_FAILED_SIGN_INS = 5
LOCK_OUT = dt.timedelta(minutes=15)
SESSION_LENGTH = dt.timedelta(hours=8)
SHORTEST_PASSWORD = 10
# names go into messages, file names and CSV cells: no spaces, no signs that format or start a formula
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_hasher = PasswordHasher()
_THIS_ACCOUNT = "t.user_name = $u"  # what an account change seals (trial.store.seals)
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


class NotSignedIn(TrialError):
    """A command without a live session of the account it names, once the study has accounts."""


# why a session ended (user_sessions.ended_why)
SIGNED_OUT, LOCKED_OUT, DISABLED, NEW_PASSWORD = "signed out", "locked out", "disabled", "new password"


@dataclass(frozen=True)
class User:
    user_name: str
    roles: frozenset[Role]
    site_id: str | None = None
    full_name: str | None = None
    blinding: Blinding = Blinding()  # the study's rule; the default blinds all but statisticians

    @property
    def blinded(self) -> bool:
        """Whether the study blinds this account: it then sees pooled data and never an arm. An
        evaluator always is, whatever other role the account also holds."""
        return self.blinding.blinds(self.roles)

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
    chosen = checked_account(store, user_name, password, roles, site_id)
    with store.transaction(moves=versions.WORK) as cur:
        if cur.execute("SELECT count(*) FROM users WHERE user_name = $u", {"u": user_name}).fetchall()[0][0]:
            raise TrialError(f"There is already an account named {user_name}.")
        cur.execute(
            "INSERT INTO users (user_name, full_name, password_hash, roles, site_id, created_at) VALUES ($u, $f, $h, $r, $s, $at)",
            {"u": user_name, "f": full_name, "h": password_hash(password), "r": sorted(chosen), "s": site_id, "at": _now()},
        )
        seals.added(cur, "users", _THIS_ACCOUNT, {"u": user_name})
        audit.record(cur, [audit.Event(by, "USER_ADD", "users", user_name, new_value=describe(chosen, site_id))])
    return User(user_name, chosen, site_id, full_name, store.study.blinding)


def checked_account(store: Store, user_name: str, password: str, roles, site_id: str | None) -> frozenset[Role]:
    """The roles of a new account, once its name, roles, site and password are acceptable (else a sentence)."""
    if not ACCOUNT_NAME.fullmatch(user_name or ""):
        raise TrialError("An account name is 1 to 64 letters, digits and . _ - @ + (an e-mail address will do), "
                         "starting with a letter or a digit.")
    chosen = _checked_roles(store, roles, site_id)
    _check_password(password)
    return chosen


def password_hash(password: str) -> str:
    return _hasher.hash(password)


def _checked_roles(store: Store, roles, site_id: str | None) -> frozenset[Role]:
    chosen = _roles(roles)
    if not chosen:
        raise TrialError("An account needs at least one role.")
    if chosen & SITE_ROLES and not site_id:
        raise TrialError(f"{' and '.join(sorted(chosen & SITE_ROLES))} see one site: give it with --site.")
    if site_id and site_id not in {s.id for s in store.study.sites}:
        raise TrialError(f"{site_id} is not a site of the study; the sites are {', '.join(s.id for s in store.study.sites)}.")
    return chosen


def describe(roles, site_id: str | None) -> str:
    return f"{','.join(sorted(roles))} {site_id or 'all sites'}"


def _check_password(password: str) -> None:
    if len(password) < SHORTEST_PASSWORD:
        raise TrialError(f"A password needs at least {SHORTEST_PASSWORD} characters.")


def set_password(store: Store, user_name: str, password: str, *, by: str) -> None:
    """A new password (and the lock-out lifted); the account's sessions end (their holder may have used the old one)."""
    _check_password(password)
    with store.transaction(moves=versions.WORK) as cur:
        _require(cur, user_name)
        with seals.rewriting(cur, "users", _THIS_ACCOUNT, {"u": user_name}):
            cur.execute("UPDATE users SET password_hash = $h, failed_attempts = 0, locked_until = NULL WHERE user_name = $u",
                        {"h": password_hash(password), "u": user_name})
        _end_sessions(cur, user_name, NEW_PASSWORD)
        audit.record(cur, [audit.Event(by, "USER_PASSWORD", "users", user_name)])


def set_active(store: Store, user_name: str, active: bool, *, by: str) -> None:
    """Enable or disable an account; disabling ends its sessions at once."""
    with store.transaction(moves=versions.WORK) as cur:
        _require(cur, user_name)
        if not active:
            _keep_an_administrator(cur, user_name, "disabled")
            _end_sessions(cur, user_name, DISABLED)
        with seals.rewriting(cur, "users", _THIS_ACCOUNT, {"u": user_name}):
            cur.execute("UPDATE users SET active = $a WHERE user_name = $u", {"a": active, "u": user_name})
        audit.record(cur, [audit.Event(by, "USER_ENABLE" if active else "USER_DISABLE", "users", user_name)])


def set_roles(store: Store, user_name: str, roles, *, site_id: str | None = None, by: str) -> User:
    """Give an account these roles and this site (None: all sites), in place of the old ones. Its
    sessions carry on with the new roles: a session reads the account's roles at every use."""
    chosen = _checked_roles(store, roles, site_id)
    with store.transaction(moves=versions.WORK) as cur:
        _require(cur, user_name)
        if Role.ADMIN not in chosen:
            _keep_an_administrator(cur, user_name, "without the ADMIN role")
        old_roles, old_site, full_name = cur.execute("SELECT roles, site_id, full_name FROM users WHERE user_name = $u",
                                                     {"u": user_name}).fetchall()[0]
        with seals.rewriting(cur, "users", _THIS_ACCOUNT, {"u": user_name}):
            cur.execute("UPDATE users SET roles = $r, site_id = $s WHERE user_name = $u",
                        {"r": sorted(chosen), "s": site_id, "u": user_name})
        audit.record(cur, [audit.Event(by, "USER_ROLES", "users", user_name, old_value=describe(old_roles, old_site),
                                       new_value=describe(chosen, site_id))])
    return User(user_name, chosen, site_id, full_name, store.study.blinding)


def _require(cur, user_name: str) -> None:
    if not cur.execute("SELECT count(*) FROM users WHERE user_name = $u", {"u": user_name}).fetchall()[0][0]:
        raise TrialError(f"There is no account named {user_name}.")


def _keep_an_administrator(cur, user_name: str, change: str) -> None:
    """Refuse to leave the study with no active administrator: nobody could manage accounts again."""
    admins = dict(cur.execute("SELECT user_name = $u, count(*) FROM users WHERE active AND list_contains(roles, 'ADMIN') GROUP BY ALL",
                              {"u": user_name}).fetchall())
    if admins.get(True) and not admins.get(False):
        raise TrialError(f"{user_name} is the only active administrator and cannot be {change}: "
                         "give another account the ADMIN role first.")


def _end_sessions(cur, user_name: str, why: str) -> None:
    """End every live session of the account, the browser's and the command line's, at once (the
    caller's audit row covers their seals)."""
    with seals.rewriting(cur, "user_sessions", "t.user_name = $u", {"u": user_name}):  # only those it changes are sealed again
        cur.execute("UPDATE user_sessions SET ended_at = $n, ended_why = $w WHERE user_name = $u AND ended_at IS NULL",
                    {"n": _now(), "w": why, "u": user_name})


def has_accounts(store: Store) -> bool:
    """Whether any account exists. Before the first, the study runs open: see :func:`acting_user`."""
    return bool(store.scalar("SELECT count(*) FROM users"))


def account(store: Store, user_name: str) -> User | None:
    """The active account of that name, not locked out now, or None."""
    rows = store.query("SELECT roles, site_id, full_name FROM users WHERE user_name = $u AND active "
                       "AND (locked_until IS NULL OR locked_until <= now())", {"u": user_name})
    if rows.empty:
        return None
    row = rows.iloc[0]
    return User(user_name, _roles(row.roles), row.site_id, row.full_name, store.study.blinding)


OPEN_ROLES = frozenset({Role.ADMIN, Role.SITE_STAFF, Role.MONITOR, Role.STATISTICIAN})


def open_user(user_name: str) -> User:
    """Whoever uses a study without accounts yet: every role but the evaluator's, at every site."""
    return User(user_name, OPEN_ROLES)


def acting_user(store: Store, token: str | None, *, named: str | None, open_name: str) -> User:
    """Who a command acts as. Before the first account (setting a study up, the demo) the study is
    open and ``open_name`` acts as :func:`open_user`. Once accounts exist, only the account of a
    live session (``token``, from ``trial login``) acts; a name given (--user, TRIAL_USER) is only
    a check that it is that account, never a way in. Raises :class:`NotSignedIn` with a sentence."""
    if not has_accounts(store):
        return open_user(open_name)
    who = session_user(store, token)
    if who is None:
        if owner := _session_owner(store, token):
            raise NotSignedIn(f"Your session as {owner} has ended: {why_session_ended(store, token)}. "
                              f"Log in again with `trial login --user {named or owner}`.")
        if named:
            raise NotSignedIn(f"{named} is not logged in to this study: log in first with `trial login --user {named}`.")
        raise NotSignedIn("Nobody is logged in to this study: log in first with `trial login --user NAME`.")
    if named and named != who.user_name:
        raise NotSignedIn(f"You are logged in as {who.user_name}, not {named}: to act as {named}, "
                          f"`trial logout` and `trial login --user {named}`.")
    return who


def list_users(store: Store):
    return store.query("SELECT user_name, full_name, roles, site_id, active, failed_attempts, locked_until, created_at "
                       "FROM users ORDER BY user_name")


def sign_in(store: Store, user_name: str, password: str, *, via: str | None = None) -> User:
    """Check a password; a wrong one counts towards the lock-out. Raises :class:`SignInRefused`
    (after the failure is written: the count and the audit row must outlive the refusal).
    ``via`` (say "command line") is kept in the audit trail with the attempt."""
    return _authenticate(store, user_name, password, ("SIGN_IN", "SIGN_IN_FAILED"), via)


def sign(store: Store, user_name: str, password: str, meaning: str) -> User:
    """An electronic signature: the signer enters their password again to confirm ``meaning``
    (e.g. "lock the database: final data review complete"). Audited as E_SIGNATURE with the
    meaning; a wrong password counts towards the lock-out like a failed sign-in (and the fifth
    ends the signer's sessions)."""
    return _authenticate(store, user_name, password, ("E_SIGNATURE", "E_SIGNATURE_FAILED"), meaning)


def _authenticate(store: Store, user_name: str, password: str, actions: tuple[str, str], meaning: str | None) -> User:
    now = _now()
    with store.transaction(moves=None) as cur:
        rows = cur.execute(
            "SELECT password_hash, roles, site_id, full_name, active, failed_attempts, epoch_us(locked_until) FROM users WHERE user_name = $u",
            {"u": user_name},
        ).fetchall()
        refusal, why = _refusal(cur, rows, user_name, password, now, store.password_signs)
        succeeded, failed = actions
        audit.record(cur, [audit.Event(user_name, failed if refusal else succeeded, new_value=meaning, reason=why)], at=now)
    if refusal:
        raise SignInRefused(refusal)
    _, roles, site_id, full_name, *_ = rows[0]
    return User(user_name, _roles(roles), site_id, full_name, store.study.blinding)


def _refusal(cur, rows, user_name: str, password: str, now: dt.datetime, server_check) -> tuple[str | None, str | None]:
    """Why a sign-in is refused (a sentence for the person, a reason for the trail), or (None, None);
    counts a wrong password and locks the account out at the fifth. ``server_check``: the store's own
    check, where it holds no hashes (a PostgreSQL study read as the account's own role)."""
    if not rows:
        return "The name or the password is wrong.", "no such account"
    password_hash, _, _, _, active, failed, locked_until = rows[0]
    if locked_until is not None and _from_micros(locked_until) > now:
        return f"Too many failed sign-ins: the account is locked until {_from_micros(locked_until):%H:%M} UTC.", "account locked out"
    if not active:
        return "This account is disabled; ask an administrator.", "account disabled"
    if password_hash is None:  # a copy without the hashes: a PostgreSQL study read as an account
        # not counted towards a lock-out: the caller signed in to the server with that password already
        if (signs := server_check(user_name, password)) is not None:
            return (None, None) if signs else ("The password is wrong.", "wrong password")
        raise TrialError(f"{user_name}'s password cannot be checked through this account's own connection: the study's "
                         "owner checks passwords (sign in through the dashboards).")
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        failed += 1
        until = now + LOCK_OUT if failed >= MOST_FAILED_SIGN_INS else None
        cur.execute("UPDATE users SET failed_attempts = $f, locked_until = $l WHERE user_name = $u",
                    {"f": 0 if until else failed, "l": until, "u": user_name})
        if until:
            _end_sessions(cur, user_name, LOCKED_OUT)
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
    with store.transaction(moves=None) as cur:
        cur.execute("INSERT INTO user_sessions (token_hash, user_name, created_at, expires_at) VALUES ($t, $u, $c, $e)",
                    {"t": _token_hash(token), "u": user.user_name, "c": now, "e": now + length})
        seals.added(cur, "user_sessions", _THIS_SESSION, {"t": _token_hash(token)})
        audit.record(cur, [audit.Event(user.user_name, "SESSION_START", "user_sessions")], at=now)
    return token


def session_user(store: Store, token: str | None) -> User | None:
    """The user of a live session, or None when the token is unknown, ended or expired, or its
    account is disabled or locked out now."""
    if not token:
        return None
    rows = store.query(
        """
        SELECT u.user_name, u.roles, u.site_id, u.full_name FROM user_sessions AS s JOIN users AS u USING (user_name)
        WHERE s.token_hash = $t AND s.ended_at IS NULL AND s.expires_at > now() AND u.active
          AND (u.locked_until IS NULL OR u.locked_until <= now())
        """,
        {"t": _token_hash(token)},
    )
    if rows.empty:
        return None
    row = rows.iloc[0]
    return User(row.user_name, _roles(row.roles), row.site_id, row.full_name, store.study.blinding)


def _session_owner(store: Store, token: str | None) -> str | None:
    if not token:
        return None
    return store.scalar("SELECT user_name FROM user_sessions WHERE token_hash = $t", {"t": _token_hash(token)})


def why_session_ended(store: Store, token: str | None) -> str:
    """Why ``token`` no longer works, as the end of a sentence ("the account was disabled by an
    administrator"): what ended the session, else what its account is now, else its time ran out."""
    rows = store.query(
        """
        SELECT s.ended_why, s.ended_at IS NOT NULL AS ended, u.active, coalesce(u.locked_until > now(), false) AS locked
        FROM user_sessions AS s JOIN users AS u USING (user_name) WHERE s.token_hash = $t
        """, {"t": _token_hash(token or "")})
    if rows.empty:
        return "this study does not know the session"
    row = rows.iloc[0]
    why = row.ended_why if row.ended else (LOCKED_OUT if row.locked else None if row.active else DISABLED)
    return {
        LOCKED_OUT: "the account was locked out after five failed sign-ins or signatures in a row",
        DISABLED: "the account was disabled by an administrator",
        NEW_PASSWORD: "an administrator set a new password for the account",
        SIGNED_OUT: "it was signed out",
    }.get(why, "it was signed out" if row.ended else f"it ran out (a session lasts {SESSION_LENGTH.seconds // 3600} hours)")


def end_session(store: Store, token: str) -> None:
    token_hash = _token_hash(token)
    with store.transaction(moves=None) as cur:
        rows = cur.execute("SELECT user_name FROM user_sessions WHERE token_hash = $t AND ended_at IS NULL",
                           {"t": token_hash}).fetchall()
        if not rows:
            return
        with seals.rewriting(cur, "user_sessions", _THIS_SESSION, {"t": token_hash}):
            cur.execute("UPDATE user_sessions SET ended_at = $n, ended_why = $w WHERE token_hash = $t",
                        {"n": _now(), "w": SIGNED_OUT, "t": token_hash})
        audit.record(cur, [audit.Event(rows[0][0], "SESSION_END", "user_sessions")])
