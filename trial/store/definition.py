"""The study definition as the rows of its tables (sites, arms, visits, regions, coding list and the
numbers the SQL needs), written once when a study is created, the same on every engine."""

from __future__ import annotations

from trial.study import Study


def study_parameters(study: Study) -> dict[str, float]:
    """The study's numbers that SQL needs (pull-test threshold, responder score, baseline lead)."""
    return {
        "pull_positive_above_pct": study.pull_test.positive_above_pct,
        "responder_min_score": 2,
        "baseline_lead_days": study.study.baseline_lead_days,
    }


def definition_rows(study: Study) -> dict[str, list[tuple]]:
    """Table → its rows, in the tables' column order."""
    return {
        "study_sites": [(s.id, s.name, s.target_enrolment) for s in study.sites],
        "study_arms": [(a.code, a.label, a.control, a.microneedling) for a in study.arms],
        "study_visits": [(v.code, i, v.day, v.earliest_day, v.latest_day, v.baseline, v.primary)
                         for i, v in enumerate(study.visits, start=1)],
        "study_regions": [(r,) for r in study.assessments.regions],
        "study_coding": [(c.pt, c.soc) for c in study.coding],
        "study_parameters": list(study_parameters(study).items()),
    }
