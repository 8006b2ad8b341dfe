"""Emergency unblinding: an investigator at the subject's site learns one subject's arm, when the
care of the subject needs it. A reason is required; the act is in the audit trail and in the
``unblindings`` table, which the study overview shows to monitors. Nobody else's view changes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from trial import audit, seals
from trial.access import Permission, require
from trial.errors import TrialError
from trial.store import Store
from trial.users import User


def unblind(store: Store, who: User, subject_id: str, reason: str) -> str:
    """The arm label of ``subject_id``, told to ``who`` (site staff of the subject's site), with the
    reason recorded. Raises a sentence when the subject is not theirs, not randomized, or no reason is given."""
    require(who, Permission.UNBLIND)
    if not (reason and reason.strip()):
        raise TrialError("Emergency unblinding needs a reason (e.g. the adverse event that needs the treatment known).")
    subject_id = subject_id.strip().upper()
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as cur:
        rows = cur.execute(
            "SELECT s.site_id, r.arm FROM subjects AS s LEFT JOIN randomization AS r USING (subject_id) WHERE s.subject_id = $s",
            {"s": subject_id},
        ).fetchall()
        if not rows or (who.sites is not None and rows[0][0] not in who.sites):
            raise TrialError(f"{subject_id} is not a subject of your site.")
        site_id, arm = rows[0]
        if arm is None:
            raise TrialError(f"{subject_id} has not been randomized: there is no arm to reveal.")
        unblinding_id = cur.execute(
            "INSERT INTO unblindings (site_id, subject_id, user_name, unblinded_at, reason) VALUES ($site, $s, $u, $at, $r) "
            "RETURNING unblinding_id",
            {"site": site_id, "s": subject_id, "u": who.user_name, "at": now, "r": reason.strip()},
        ).fetchall()[0][0]
        seals.added(cur, "unblindings", "t.unblinding_id = $id", {"id": unblinding_id})
        audit.record(cur, [audit.Event(who.user_name, "UNBLIND", "unblindings", subject_id, reason=reason.strip())], at=now)
    return next(a.label for a in store.study.arms if a.code == arm)


def unblindings(store) -> pd.DataFrame:
    """Every emergency unblinding the reader may see, newest first (without the arm)."""
    return store.query("SELECT subject_id, site_id, user_name, unblinded_at, reason FROM unblindings ORDER BY unblinded_at DESC")
