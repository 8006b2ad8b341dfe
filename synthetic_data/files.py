"""A simulated trial as the eight CSV files a site would upload, plus the study definition.

Files are written with fixed formatting (ISO dates, ``\\n`` line endings, columns in the data
dictionary's order), so the same simulated trial always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synthetic_data.simulate import DAY, SimulatedTrial
from trial.study import study_to_toml

DOMAIN_ORDER = (
    "subjects",
    "randomization",
    "hair_counts",
    "pull_tests",
    "global_assessments",
    "adverse_events",
    "procedures",
    "disposition",
)


def _iso(values) -> np.ndarray:
    dates = np.asarray(values, dtype="datetime64[D]")
    text = np.datetime_as_string(dates, unit="D")
    return np.where(np.isnat(dates), "", text)


def tables(trial: SimulatedTrial) -> dict[str, pd.DataFrame]:
    """The eight domain tables as text columns, ready to write."""
    s = trial.subjects
    randomized = trial.randomized
    out = {
        "subjects": pd.DataFrame(
            {
                "site_id": s.site_id,
                "subject_id": s.subject_id,
                "screening_date": _iso(s.screening_date),
                "consent_date": _iso(s.consent_date),
                "age": s.age,
                "sex": s.sex,
                "diagnosis": s.diagnosis,
                "severity_scale": s.severity_scale,
                "severity_grade": s.severity_grade,
                "fitzpatrick": s.fitzpatrick,
                "eligible": s.eligible,
            }
        ),
        "randomization": pd.DataFrame(
            {
                "site_id": randomized.site_id,
                "subject_id": randomized.subject_id,
                "randomization_date": _iso(randomized.randomization_date),
                "arm": randomized.arm,
                "randomization_number": randomized.randomization_number,
            }
        ).sort_values("randomization_number"),
    }
    c = trial.counts
    out["hair_counts"] = pd.DataFrame(
        {
            "site_id": c.site_id,
            "subject_id": c.subject_id,
            "visit": c.visit,
            "assessment_date": _iso(c.date),
            "region": c.region,
            "area_cm2": trial.protocol.outcome.area_cm2,
            "hair_count": c.value,
            "evaluator_id": "EV-" + c.site_id,
        }
    )
    p = trial.pulls
    out["pull_tests"] = pd.DataFrame(
        {
            "site_id": p.site_id,
            "subject_id": p.subject_id,
            "visit": p.visit,
            "assessment_date": _iso(p.date),
            "region": p.region,
            "hairs_grasped": p.hairs_grasped,
            "hairs_extracted": p.hairs_extracted,
        }
    )
    g = trial.assessments.sort_values(["subject_id", "visit", "assessor"], kind="stable")
    out["global_assessments"] = pd.DataFrame(
        {
            "site_id": g.site_id,
            "subject_id": g.subject_id,
            "visit": g.visit,
            "assessment_date": _iso(g.date),
            "assessor": g.assessor,
            "score": g.score,
        }
    )
    sessions = _sessions(trial)
    out["procedures"] = sessions
    out["adverse_events"] = _adverse_events(trial, sessions)
    out["disposition"] = pd.DataFrame(
        {
            "site_id": randomized.site_id,
            "subject_id": randomized.subject_id,
            "status": randomized.status,
            "status_date": _iso(randomized.status_date),
            "reason": randomized.reason,
        }
    )
    return out


def _sessions(trial: SimulatedTrial) -> pd.DataFrame:
    study, protocol, rng = trial.study, trial.protocol, trial.rng
    columns = ["site_id", "subject_id", "session_date", "device", "needle_mm", "passes", "pain_vas", "pinpoint_bleeding"]
    treated_arms = [a.code for a in study.arms if a.microneedling]
    plan = study.procedures
    subjects = trial.randomized[trial.randomized.arm.isin(treated_arms)]
    if plan is None or subjects.empty:
        return pd.DataFrame(columns=columns)
    rows = subjects.loc[subjects.index.repeat(plan.sessions), ["site_id", "subject_id", "randomization_date", "status_date"]]
    number = rows.groupby(level=0).cumcount().to_numpy()
    start = rows.randomization_date.to_numpy().astype("datetime64[D]")
    date = start + number * plan.interval_days * DAY
    kept = date <= rows.status_date.to_numpy().astype("datetime64[D]")
    rows, date = rows[kept], date[kept]
    n = len(rows)
    return pd.DataFrame(
        {
            "site_id": rows.site_id.to_numpy(),
            "subject_id": rows.subject_id.to_numpy(),
            "session_date": _iso(date),
            "device": plan.device,
            "needle_mm": plan.needle_mm,
            "passes": rng.integers(protocol.passes[0], protocol.passes[1] + 1, n),
            "pain_vas": np.clip(np.round(rng.normal(protocol.pain_mean, 1.5, n)), 0, 10).astype(int),
            "pinpoint_bleeding": np.where(rng.random(n) < protocol.bleeding_share, "Y", "N"),
        }
    )


def _adverse_events(trial: SimulatedTrial, sessions: pd.DataFrame) -> pd.DataFrame:
    study, protocol, rng = trial.study, trial.protocol, trial.rng
    soc_of = {c.pt: c.soc for c in study.coding}
    subjects = trial.randomized.reset_index(drop=True)
    start = subjects.randomization_date.to_numpy().astype("datetime64[D]")
    end = subjects.status_date.to_numpy().astype("datetime64[D]")
    span = np.maximum(1, np.minimum(84, (end - start) // DAY))
    ids = subjects.subject_id.to_numpy()
    treated_ids = sessions.subject_id.unique() if len(sessions) else np.array([], dtype=object)
    frames = []
    for model in protocol.adverse_events:
        risk = subjects.arm.map(model.risk).fillna(0).to_numpy()
        has = np.flatnonzero(rng.random(len(subjects)) < risk)
        if not len(has):
            continue
        onset = start[has] + (rng.random(len(has)) * span[has]).astype(int) * DAY
        if model.cause in ("MICRONEEDLING", "BOTH"):  # felt at a session: the first one, or a later one
            treated = pd.Series(ids[has]).isin(treated_ids).to_numpy()  # hashing: numpy's isin sorts objects
            later = (rng.integers(0, 4, len(has)) * 7) * DAY
            onset = np.where(treated, start[has] + later, onset)
        onset = np.minimum(onset, end[has])
        quick = model.cause in ("MICRONEEDLING", "BOTH")
        lasts = rng.integers(0, 3, len(has)) if quick else rng.integers(3, 31, len(has))
        ongoing = rng.random(len(has)) < (0.02 if quick else 0.1)
        resolution = np.where(ongoing, np.datetime64("NaT"), onset + lasts * DAY)
        frames.append(
            pd.DataFrame(
                {
                    "site_id": subjects.site_id.to_numpy()[has],
                    "subject_id": subjects.subject_id.to_numpy()[has],
                    "term": np.array(model.terms)[rng.integers(0, len(model.terms), len(has))],
                    "pt": model.pt,
                    "soc": soc_of.get(model.pt, "Other"),
                    "onset": onset,
                    "resolution_date": _iso(resolution),
                    "severity": np.where(rng.random(len(has)) < model.moderate_share, "MODERATE", "MILD"),
                    "serious": "N",
                    "relationship": np.array(model.relationship)[rng.integers(0, len(model.relationship), len(has))],
                    "suspected_cause": model.cause,
                    "action_taken": "NONE",
                    "outcome": np.where(ongoing, "RECOVERING", "RECOVERED"),
                }
            )
        )
    columns = ["site_id", "subject_id", "ae_seq", "term", "pt", "soc", "onset_date", "resolution_date", "severity",
               "serious", "relationship", "suspected_cause", "action_taken", "outcome"]
    if not frames:
        return pd.DataFrame(columns=columns)
    events = pd.concat(frames, ignore_index=True).sort_values(["subject_id", "onset", "pt"], kind="stable")
    events["ae_seq"] = events.groupby("subject_id").cumcount() + 1
    events["onset_date"] = _iso(events.onset)
    return events[columns]


def write_trial(trial: SimulatedTrial, folder: Path, notes: str) -> list[Path]:
    """Write the eight CSV files and ``study.toml`` (with ``notes`` as its header comment)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables(trial).items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    (folder / "study.toml").write_text(study_to_toml(trial.study, notes), encoding="utf-8")
    return written
