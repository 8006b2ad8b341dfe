"""Emergency unblinding: an investigator at the subject's site learns one subject's arm, when the
care of the subject needs it. A reason and the investigator's electronic signature are required;
the act is in the audit trail and in the ``unblindings`` table, which the study overview shows to
monitors. Nobody else's view changes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from trial.errors import TrialError
from trial.governance.access import Permission, require
from trial.governance.users import User, has_accounts, sign
from trial.store import Store, audit, seals


def unblind(store: Store, who: User, subject_id: str, reason: str, *, password: str | None) -> str:
    """The arm label of ``subject_id``, told to ``who`` (site staff of the subject's site), who signs
    it with their password (an electronic signature meaning "unblind SUBJECT: reason"; a study
    without accounts has nobody to sign). The reason is recorded. Raises a sentence when the subject
    is not theirs, not randomized, no reason is given or the signature fails."""
    require(who, Permission.UNBLIND)
    if not (reason and reason.strip()):
        raise TrialError("Emergency unblinding needs a reason (e.g. the adverse event that needs the treatment known).")
    subject_id, reason = subject_id.strip().upper(), reason.strip()
    cur = store.cursor()
    try:
        _subject_of(cur, who, subject_id)  # checked before signing: a signature is for an act that can happen
    finally:
        cur.close()
    if has_accounts(store):
        if not password:
            raise TrialError(f"To unblind {subject_id}, {who.user_name} signs with their password.")
        sign(store.accounts, who.user_name, password, f"unblind {subject_id}: {reason}")
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as cur:
        site_id, arm = _subject_of(cur, who, subject_id)
        unblinding_id = cur.execute(
            "INSERT INTO unblindings (site_id, subject_id, user_name, unblinded_at, reason) VALUES ($site, $s, $u, $at, $r) "
            "RETURNING unblinding_id",
            {"site": site_id, "s": subject_id, "u": who.user_name, "at": now, "r": reason},
        ).fetchall()[0][0]
        seals.added(cur, "unblindings", "t.unblinding_id = $id", {"id": unblinding_id})
        audit.record(cur, [audit.Event(who.user_name, "UNBLIND", "unblindings", subject_id, reason=reason)], at=now)
    arm = arm if arm is not None else store.unblinded_arm(subject_id)  # a blinded role's copy withholds it
    return next(a.label for a in store.study.arms if a.code == arm)


def _subject_of(cur, who: User, subject_id: str) -> tuple[str, str | None]:
    """The subject's site and arm, when it is a randomized subject of ``who``'s site (the arm is None
    where the store withholds it from a blinded reader: a PostgreSQL study read as a blinded role)."""
    rows = cur.execute(
        "SELECT s.site_id, r.subject_id IS NOT NULL, r.arm FROM subjects AS s LEFT JOIN randomization AS r USING (subject_id) "
        "WHERE s.subject_id = $s",
        {"s": subject_id},
    ).fetchall()
    if not rows or (who.sites is not None and rows[0][0] not in who.sites):
        raise TrialError(f"{subject_id} is not a subject of your site.")
    site_id, randomized, arm = rows[0]
    if not randomized:
        raise TrialError(f"{subject_id} has not been randomized: there is no arm to reveal.")
    return site_id, arm


def unblindings(store) -> pd.DataFrame:
    """Every emergency unblinding the reader may see, newest first (without the arm)."""
    return store.query("SELECT subject_id, site_id, user_name, unblinded_at, reason FROM unblindings ORDER BY unblinded_at DESC")
