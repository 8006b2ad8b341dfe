"""The safety ARD's worst severity, strongest relationship and by-session statistics (tables 14.3.3 and 14.3.4) against an
independent computation: rows chosen with plain SQL on the study tables (the safety population
rebuilt from its definition, session numbers by SQL's ``row_number``), numbers by numpy."""

import math

import numpy as np
import pytest
from helpers import ard_value, scenario_store

from trial.analysis.ard import compute_ard

SAFETY = """
    SELECT r.subject_id, r.arm FROM randomization r
    WHERE r.subject_id IN (SELECT subject_id FROM procedures
                           UNION SELECT h.subject_id FROM hair_counts h JOIN randomization x USING (subject_id)
                           WHERE h.assessment_date > x.randomization_date)
"""
STRENGTH = {"NOT_RELATED": 0, "UNLIKELY": 1, "POSSIBLE": 2, "PROBABLE": 3, "DEFINITE": 4}
GRADE = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}


@pytest.fixture(scope="module", params=[("dhurat2013", 1, None), ("scale", 5, 300)], ids=["dhurat2013", "scale"])
def study(request, tmp_path_factory):
    scenario, seed, subjects = request.param
    store = scenario_store(tmp_path_factory.mktemp(scenario), scenario, seed=seed, subjects=subjects)
    yield store, compute_ard(store)
    store.close()


def close(a, b):
    assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), (a, b)


@pytest.mark.parametrize(("param", "column", "order"), [("TEAE_MAX_RELATIONSHIP", "relationship", STRENGTH),
                                                       ("TEAE_MAX_SEVERITY", "severity", GRADE)])
def test_subjects_by_strongest_relationship_and_worst_severity(study, param, column, order):
    store, ard = study
    safety = store.query(SAFETY)
    events = store.query(
        f"SELECT e.subject_id, e.{column} AS level, s.arm FROM adverse_events e JOIN ({SAFETY}) s USING (subject_id) "
        "JOIN randomization r USING (subject_id) WHERE e.onset_date >= r.randomization_date"
    )
    events["rank"] = events.level.map(order)
    worst = events.groupby(["subject_id", "arm"])["rank"].max().reset_index()
    rows = ard[(ard.table_id == "14.3.3") & (ard.param == param)]
    assert set(rows.category) == set(order)
    for arm in [*safety.arm.unique(), "TOTAL"]:
        mine = worst if arm == "TOTAL" else worst[worst.arm == arm]
        big_n = len(safety) if arm == "TOTAL" else int((safety.arm == arm).sum())
        for level, rank in order.items():
            count = int((mine["rank"] == rank).sum())
            close(ard_value(rows, group=arm, category=level, stat="count"), count)
            close(ard_value(rows, group=arm, category=level, stat="pct"), 100 * count / big_n)
    # every subject with a TEAE appears once: the levels add up to the subjects with any TEAE
    any_teae = ard_value(ard[(ard.table_id == "14.3.1") & (ard.param == "TEAE") & (ard.category == "ANY")], group="TOTAL", stat="count")
    close(rows[(rows.group == "TOTAL") & (rows.stat == "count")].value.sum(), any_teae)


def test_pain_and_bleeding_by_session_number(study):
    store, ard = study
    sessions = store.query(
        f"SELECT s.arm, row_number() OVER (PARTITION BY p.subject_id ORDER BY p.session_date) AS number, p.pain_vas, "
        f"p.pinpoint_bleeding FROM procedures p JOIN ({SAFETY}) s USING (subject_id)"
    )
    assert len(sessions) > 0
    rows = ard[(ard.table_id == "14.3.4")]
    for (arm, number), at in sessions.groupby(["arm", "number"]):
        category = f"session={number}"
        pain = at.pain_vas.dropna().to_numpy(dtype=float)
        where = {"param": "PAIN_VAS_BY_SESSION", "group": arm, "category": category}
        close(ard_value(rows, stat="n", **where), len(pain))
        close(ard_value(rows, stat="mean", **where), pain.mean())
        if len(pain) > 1:
            close(ard_value(rows, stat="sd", **where), pain.std(ddof=1))
        q1, median, q3 = np.percentile(pain, [25, 50, 75])
        close(ard_value(rows, stat="q1", **where), q1)
        close(ard_value(rows, stat="median", **where), median)
        close(ard_value(rows, stat="q3", **where), q3)
        close(ard_value(rows, stat="max", **where), pain.max())
        bleeding = at.pinpoint_bleeding.dropna()
        where = {"param": "PINPOINT_BLEEDING_BY_SESSION", "group": arm, "category": category}
        close(ard_value(rows, stat="count", **where), int((bleeding == "Y").sum()))
        close(ard_value(rows, stat="pct", **where), 100 * (bleeding == "Y").mean())
    # the sessions of every number add up to all sessions of the arm
    for arm, at in sessions.groupby("arm"):
        by_number = rows[(rows.param == "PAIN_VAS_BY_SESSION") & (rows.group == arm) & (rows.stat == "n")].value.sum()
        close(by_number, ard_value(rows, param="PAIN_VAS", group=arm, stat="n"))
