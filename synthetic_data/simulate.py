"""Simulate a trial under a protocol: every screened subject, visit, count, session and event.

Vectorised (numpy and pandas) so that 100,000 subjects take seconds. One ``numpy.random.Generator``
drives every draw in a fixed order, so a seed gives the same trial, byte for byte, every time.
A scenario may calibrate the simulated outcomes (``SimulatedTrial.counts``, ``.assessments``)
before the tables are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic_data.protocol import Protocol
from trial.study import Study

DAY = np.timedelta64(1, "D")
FITZPATRICK = np.array(["II", "III", "IV", "V"])


@dataclass
class SimulatedTrial:
    study: Study
    protocol: Protocol
    subjects: pd.DataFrame  # one row per screened subject
    visits: pd.DataFrame  # one row per randomized subject and attended visit
    counts: pd.DataFrame  # visits × regions: baseline and value (hair count in the region's area)
    assessments: pd.DataFrame  # global assessments: visit × assessor, score
    pulls: pd.DataFrame  # pull tests: grasped and extracted at baseline and the primary visit
    rng: np.random.Generator

    @property
    def randomized(self) -> pd.DataFrame:
        return self.subjects[self.subjects.arm.notna()]


def _allocate(total: int, shares: list[float]) -> np.ndarray:
    """Whole numbers in proportion to ``shares`` that add up to ``total`` (largest remainder)."""
    raw = np.asarray(shares, dtype=float) / sum(shares) * total
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def _days(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    return rng.integers(low, high + 1, size=size) * DAY


def simulate(
    protocol: Protocol,
    study: Study,
    rng: np.random.Generator,
    randomized: int | None = None,
    primary_n_ok: Callable[[str, int], bool] | None = None,
) -> SimulatedTrial:
    """Screen, randomize and follow a trial. ``primary_n_ok(arm, n)`` may refuse a number of
    subjects reaching the primary visit (an exact statistic may be unreachable for some n)."""
    n = randomized or protocol.randomized
    subjects = _screen(protocol, study, rng, n)
    visits = _follow(protocol, study, rng, subjects, primary_n_ok)
    counts = _hair_counts(protocol, study, rng, visits)
    assessments = _global_assessments(protocol, study, rng, visits)
    pulls = _pull_tests(protocol, study, rng, visits)
    return SimulatedTrial(study, protocol, subjects, visits, counts, assessments, pulls, rng)


# --------------------------------------------------------------------------- screening
def _screen(protocol: Protocol, study: Study, rng: np.random.Generator, n: int) -> pd.DataFrame:
    fail = protocol.screen_fail_share
    screened = n + round(n * fail / (1 - fail))
    site_ids = [s.id for s in study.sites]
    per_site = _allocate(screened, [max(s.target_enrolment, 1) for s in study.sites])
    site = rng.permutation(np.repeat(np.array(site_ids), per_site))
    offsets = np.sort(rng.integers(0, protocol.enrolment_days + 1, size=screened))
    screening = np.datetime64(protocol.start, "D") + offsets * DAY
    frame = pd.DataFrame({"site_id": site, "consent_date": screening})  # consent first: screening is a study procedure
    number = frame.groupby("site_id").cumcount() + 1
    width = max(3, len(str(int(number.max()))))
    frame["subject_id"] = frame.site_id + "-" + number.astype(str).str.zfill(width)
    frame["screening_date"] = frame.consent_date + _days(rng, 0, 3, screened)

    eligible = np.ones(screened, dtype=bool)
    eligible[rng.choice(screened, size=screened - n, replace=False)] = False
    frame["eligible"] = np.where(eligible, "Y", "N")

    groups = protocol.groups
    kind = np.empty(screened, dtype=int)
    kind[eligible] = rng.permutation(np.repeat(np.arange(len(groups)), _allocate(n, [g.share for g in groups])))
    kind[~eligible] = rng.choice(len(groups), size=screened - n, p=np.array([g.share for g in groups]) / sum(g.share for g in groups))
    frame["sex"] = [groups[k].sex for k in kind]
    frame["diagnosis"] = [groups[k].diagnosis for k in kind]
    frame["severity_scale"] = [groups[k].scale for k in kind]
    frame["severity_grade"] = [groups[k].grades[rng.integers(len(groups[k].grades))] if groups[k].grades else None for k in kind]
    mean, sd, low, high = protocol.age
    low, high = max(low, study.eligibility.min_age), min(high, study.eligibility.max_age)
    frame["age"] = np.clip(np.round(rng.normal(mean, sd, screened)), low, high).astype(int)
    frame["fitzpatrick"] = FITZPATRICK[rng.integers(0, len(FITZPATRICK), screened)]

    arms = np.array(study.arm_codes)
    allocation = rng.permutation(np.resize(arms, n))
    frame["arm"] = None
    frame.loc[eligible, "arm"] = allocation
    frame["randomization_date"] = pd.NaT
    frame.loc[eligible, "randomization_date"] = frame.loc[eligible, "screening_date"] + _days(rng, 7, 14, n)
    frame["randomization_date"] = frame["randomization_date"].astype("datetime64[s]")
    order = frame.loc[eligible].sort_values(["randomization_date", "subject_id"]).index
    frame["randomization_number"] = None
    frame.loc[order, "randomization_number"] = [f"R{i:06d}" for i in range(1, n + 1)]
    return frame


# --------------------------------------------------------------------------- follow-up
def _follow(protocol, study, rng, subjects, primary_n_ok) -> pd.DataFrame:
    """Which visits each randomized subject attends, when, and how the subject leaves."""
    randomized = subjects[subjects.arm.notna()]
    n = len(randomized)
    last = len(study.visits)  # visits attended: indexes 0 … attended-1
    primary = study.visit_codes.index(study.primary_visit.code)
    leaves = rng.random(n) < randomized.arm.map(protocol.dropout).fillna(0).to_numpy()
    attended = np.where(leaves, rng.integers(1, last, size=n), last)
    if primary_n_ok is not None:
        attended = _make_primary_n_feasible(rng, randomized.arm.to_numpy(), attended, primary, last, primary_n_ok)

    rows = randomized.loc[randomized.index.repeat(attended)].copy()
    rows["visit_index"] = rows.groupby(level=0).cumcount().to_numpy()
    rows = rows.reset_index(drop=True)
    visit = [study.visits[i] for i in rows.visit_index]
    target = np.array([v.day for v in visit])
    late = np.array([v.latest_day for v in visit])
    baseline = rows.visit_index.to_numpy() == 0
    jitter = rng.integers(-3, 4, size=len(rows))
    outside = (~baseline) & (rng.random(len(rows)) < protocol.out_of_window_share)
    day = np.where(baseline, -rng.integers(0, 8, size=len(rows)), target + jitter)
    day = np.where(outside, late + rng.integers(1, 8, size=len(rows)), day)
    earliest = np.array([v.earliest_day for v in visit])
    day = np.where(outside | baseline, day, np.clip(day, earliest, late))
    rows["visit"] = [v.code for v in visit]
    rows["day"] = day
    rows["date"] = rows.randomization_date.to_numpy().astype("datetime64[D]") + day * DAY

    # A subject seen only at baseline (before randomization) still leaves after being randomized.
    seen = rows.groupby("subject_id").date.max().reindex(randomized.subject_id)
    randomized_on = randomized.randomization_date.to_numpy().astype("datetime64[D]")
    last_visit = pd.Series(np.maximum(seen.to_numpy().astype("datetime64[D]"), randomized_on), index=seen.index)
    completed = pd.Series(attended == last, index=randomized.subject_id)
    status_date = last_visit + pd.to_timedelta(np.where(completed, rng.integers(0, 4, n), rng.integers(7, 22, n)), unit="D")
    reasons = list(protocol.dropout_reasons)
    reason = np.array(reasons)[rng.choice(len(reasons), size=n, p=np.array(list(protocol.dropout_reasons.values())))]
    subjects["status"] = None
    subjects["status_date"] = pd.NaT
    subjects["reason"] = None
    index = subjects.index[subjects.arm.notna()]
    subjects.loc[index, "status"] = np.where(completed.to_numpy(), "COMPLETED", "DISCONTINUED")
    subjects.loc[index, "status_date"] = status_date.reindex(randomized.subject_id).to_numpy()
    subjects.loc[index, "reason"] = np.where(completed.to_numpy(), None, reason)
    subjects["status_date"] = subjects.status_date.astype("datetime64[s]")
    return rows


def _make_primary_n_feasible(rng, arm, attended, primary, last, ok) -> np.ndarray:
    """Move the fewest subjects across the primary visit so that each arm's n is acceptable."""
    attended = attended.copy()
    for code in np.unique(arm):
        mine = np.flatnonzero(arm == code)
        reach = attended[mine] > primary
        n = int(reach.sum())
        for step in (0, *(d for k in range(1, 13) for d in (-k, k))):
            if 0 < n + step <= len(mine) and ok(str(code), n + step):
                break
        else:
            raise ValueError(f"no feasible number of subjects near {n} reaches the primary visit in arm {code}")
        if step < 0:  # some who reached the primary visit leave just before it
            chosen = rng.choice(mine[reach], size=-step, replace=False)
            attended[chosen] = rng.integers(1, primary + 1, size=-step)
        elif step > 0:  # some who left before it stay to the end
            chosen = rng.choice(mine[~reach], size=step, replace=False)
            attended[chosen] = last
    return attended


# --------------------------------------------------------------------------- outcomes
def _hair_counts(protocol, study, rng, visits) -> pd.DataFrame:
    model = protocol.outcome
    regions = np.array(model.regions)
    rows = visits.loc[visits.index.repeat(len(regions)), ["site_id", "subject_id", "arm", "visit", "visit_index", "day", "date"]]
    rows = rows.reset_index(drop=True)
    rows["region"] = np.tile(regions, len(visits))
    key = rows.subject_id + "|" + rows.region
    first = ~key.duplicated()
    baseline = pd.Series(np.maximum(10, np.round(rng.normal(model.baseline_mean, model.baseline_sd, int(first.sum())))), index=key[first].to_numpy())
    mean = rows.arm.map({a: m for a, (m, _) in model.change.items()}).to_numpy(dtype=float)
    sd = rows.arm.map({a: s for a, (_, s) in model.change.items()}).to_numpy(dtype=float)
    z = pd.Series(rng.standard_normal(int(first.sum())), index=key[first].to_numpy())
    gain = np.round(mean + sd * z.reindex(key).to_numpy())  # each subject's change at the primary visit
    primary_day = study.primary_visit.day
    share = np.where(rows.day <= primary_day, np.clip(rows.day / primary_day, 0, 1), model.kept_after_primary)
    noise = np.round(rng.normal(0, model.visit_noise_sd, len(rows)))
    primary = rows.visit == study.primary_visit.code
    noise[primary.to_numpy() | (rows.visit_index.to_numpy() == 0)] = 0
    rows["baseline"] = baseline.reindex(key).to_numpy()
    rows["value"] = np.maximum(0, rows.baseline + np.round(gain * share) + noise).astype(int)
    rows["baseline"] = rows.baseline.astype(int)
    return rows


def _global_assessments(protocol, study, rng, visits) -> pd.DataFrame:
    primary = study.visit_codes.index(study.primary_visit.code)
    late = visits[visits.visit_index >= primary]
    frames = []
    for assessor, chance in (("INVESTIGATOR", protocol.responders), ("PATIENT", protocol.patient_responders)):
        rows = late[["site_id", "subject_id", "arm", "visit", "date"]].copy()
        p = rows.arm.map(chance).fillna(0.1).to_numpy()
        responds = rng.random(len(rows)) < p
        rows["score"] = np.where(responds, rng.integers(2, 4, len(rows)), rng.choice([-1, 0, 1], size=len(rows), p=[0.1, 0.6, 0.3]))
        rows["assessor"] = assessor
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def _pull_tests(protocol, study, rng, visits) -> pd.DataFrame:
    primary = study.primary_visit.code
    rows = visits[(visits.visit_index == 0) | (visits.visit == primary)][["site_id", "subject_id", "arm", "visit", "date"]].copy()
    rows["region"] = protocol.pull_region
    rows["hairs_grasped"] = rng.integers(55, 66, len(rows))
    at_primary = (rows.visit == primary).to_numpy()
    share = np.array([protocol.pull_extracted.get(a, (0.12, 0.08))[int(p)] for a, p in zip(rows.arm, at_primary, strict=True)])
    rows["hairs_extracted"] = rng.binomial(rows.hairs_grasped.to_numpy(), share)
    return rows.reset_index(drop=True)
