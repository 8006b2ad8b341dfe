"""Scenario ``starace2019``: Starace et al., J Cosmet Dermatol (single arm, several diagnoses).

Published (reproduced exactly, under any seed), median % change in hair density from baseline to
month 6, by subgroup and region (frontal, vertex):
- all 50 patients: 36.64 %, 35.10 %;
- telogen effluvium (7 women): 52.4 %, 51.97 %;
- AGA men (14): 25.16 %, 17.45 %;  AGA women (29): 32.35 %, 35.88 %;
- pull test negative for everyone at month 6; no severe adverse events; transient bleeding at
  sessions and mild erythema resolving within 24 hours.

Modelling choices (the paper does not give them):
- one site; 50 patients, 36 women (29 AGA, Ludwig I–III; 7 TE) and 14 men (AGA, Norwood III–V);
  age 38 ± 10, 20–65; 8 % screen failures; nobody leaves early (the paper reports all 50);
- trichoscopy density per cm² (area_cm2 = 1) at baseline 100–300; the % changes around each
  subgroup's median are spread with SD 15 points; month 3 lies 30–70 % of the way to month 6;
- three 1.0 mm pen sessions four weeks apart (study.toml), pain 3 ± 1.5, bleeding at 90 % of sessions.
"""

import datetime as dt

import numpy as np
import pandas as pd

from synthetic_data.protocol import AdverseEventModel, Group, Outcome, Protocol
from synthetic_data.simulate import SimulatedTrial, simulate
from trial.study import load_study

TITLE = "Starace 2019: microneedling in AGA and TE, single arm, 50 patients, 6 months"
DEFAULT_SUBJECTS = 50
NOTES = __doc__.strip()
MEDIANS = {  # region → (overall median, {subgroup: median})
    "FRONTAL": (36.64, {"TE": 52.4, "AGA_M": 25.16, "AGA_F": 32.35}),
    "VERTEX": (35.10, {"TE": 51.97, "AGA_M": 17.45, "AGA_F": 35.88}),
}
GROUPS = (
    Group("F", "AGA", 29, "LUDWIG", ("I", "II", "III")),
    Group("F", "TE", 7),
    Group("M", "AGA", 14, "NORWOOD", ("III", "IIIV", "IV", "V")),
)


def subgroup(sex: str, diagnosis: str) -> str:
    return "TE" if diagnosis == "TE" else f"AGA_{sex}"


def protocol(subjects: int) -> Protocol:
    return Protocol(
        randomized=subjects,
        groups=GROUPS,
        outcome=Outcome(("FRONTAL", "VERTEX"), 1.0, 180, 40, {"MN": (60, 20)}),
        start=dt.date(2017, 3, 6),
        enrolment_days=120,
        age=(38.0, 10.0, 20, 65),
        responders={"MN": 0.5},
        patient_responders={"MN": 0.6},
        pull_region="VERTEX",
        pull_extracted={"MN": (0.12, 0.03)},
        adverse_events=(
            AdverseEventModel("Erythema", ("mild erythema after session",), {"MN": 0.7}, "MICRONEEDLING", ("DEFINITE",), 0.0),
            AdverseEventModel("Pinpoint bleeding", ("transient bleeding",), {"MN": 0.4}, "MICRONEEDLING", ("DEFINITE",), 0.0),
            AdverseEventModel("Pain", ("pain during session",), {"MN": 0.2}, "MICRONEEDLING", ("PROBABLE",), 0.0),
            AdverseEventModel("Headache", ("headache",), {"MN": 0.04}, "OTHER", ("UNLIKELY",), 0.0),
        ),
        pain_mean=3.0,
        bleeding_share=0.9,
    )


def make(rng: np.random.Generator, subjects: int | None = None) -> SimulatedTrial:
    from synthetic_data.calibrate_counts import counts_for_percent_change
    from synthetic_data.calibrate_medians import values_with_medians

    n = subjects or DEFAULT_SUBJECTS
    trial = simulate(protocol(n), load_study("single_arm"), rng)
    people = trial.randomized.set_index("subject_id")
    groups = people.apply(lambda s: subgroup(s.sex, s.diagnosis), axis=1)
    counts = trial.counts
    final = trial.study.primary_visit.code
    for region, (overall, medians) in MEDIANS.items():
        sizes = groups.value_counts()
        values = values_with_medians({g: (int(sizes[g]), m) for g, m in medians.items()}, overall, rng)
        pinned = {g: np.isclose(v, medians[g]) | np.isclose(v, overall) for g, v in values.items()}
        for g, members in groups.groupby(groups).groups.items():
            order = rng.permutation(len(members))
            for subject, value, exact in zip(np.asarray(members)[order], values[g], pinned[g], strict=True):
                # Pinned values hit the target to the second decimal; the others may move by less
                # than the margin that keeps them on their side of every median.
                c0, c1 = counts_for_percent_change(float(value), rng, 100, 300, tolerance=None if exact else 0.15)
                _set_counts(counts, subject, region, final, c0, c1, rng)
    _pull_tests_negative(trial)
    return trial


def _set_counts(counts: pd.DataFrame, subject: str, region: str, final: str, c0: int, c1: int, rng) -> None:
    mine = (counts.subject_id == subject) & (counts.region == region)
    counts.loc[mine, "baseline"] = c0
    counts.loc[mine & (counts.visit_index == 0), "value"] = c0
    counts.loc[mine & (counts.visit == final), "value"] = c1
    between = mine & (counts.visit_index > 0) & (counts.visit != final)
    counts.loc[between, "value"] = c0 + np.round((c1 - c0) * rng.uniform(0.3, 0.7, int(between.sum()))).astype(int)


def _pull_tests_negative(trial: SimulatedTrial) -> None:
    """Negative for everyone at month 6: at most 10 % of the grasped hairs come out."""
    pulls = trial.pulls
    final = pulls.visit == trial.study.primary_visit.code
    limit = np.floor(pulls.hairs_grasped * trial.study.pull_test.positive_above_pct / 100).astype(int)
    pulls.loc[final, "hairs_extracted"] = np.minimum(pulls.loc[final, "hairs_extracted"], limit[final])
