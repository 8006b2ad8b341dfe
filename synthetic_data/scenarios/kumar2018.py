"""Scenario ``kumar2018``: Kumar, Inamadar, Palit, J Cutan Aesthet Surg 2018;11:211–216.

Published (reproduced exactly, under any seed):
- mean increase in hair count in a one-square-inch target area (area_cm2 = 6.4516) at week 12:
  MINOX_MN 12.52, MINOX 1.89 (between-arm p < 0.0001 follows from the SDs below);
- patients reporting 50 % improvement (patient global assessment +2/+3 at week 12): 4 vs 0.

Modelling choices (the paper does not give them):
- one site; 68 men randomized 34:34 (8 % screen failures); age 26 ± 4, 19–38; Norwood III–IV;
- baseline 110 ± 25 hairs in the square inch (not reported; chosen so that the published gains are
  a plausible share of it); SD of the change at week 12: 4.5 (MINOX_MN), 3.5 (MINOX);
- 6 % of subjects leave early; when an arm's number reaching week 12 cannot give the published
  mean at two decimals with whole hair counts (e.g. 32 subjects for 12.52), one more or one fewer
  subject reaches it;
- sessions: weekly, 12 in all, 1.5 mm roller (the abstract). The seed document describes four
  sessions at 2-week intervals; that schedule is `sessions = 4, interval_days = 14` in study.toml;
- pinpoint bleeding at most sessions, mild pain (2.5 ± 1.5); no serious adverse events.
"""

import datetime as dt

import numpy as np

from synthetic_data.protocol import Outcome, Protocol
from synthetic_data.scenarios import _common
from synthetic_data.simulate import SimulatedTrial, simulate
from trial.study import Site, load_study

TITLE = "Kumar 2018: minoxidil vs minoxidil + microneedling, 68 men, hair count per square inch"
DEFAULT_SUBJECTS = 68
NOTES = __doc__.strip()
MEAN_CHANGE = {"MINOX_MN": 12.52, "MINOX": 1.89}
PATIENT_RESPONDERS = {"MINOX_MN": 4, "MINOX": 0}
SQUARE_INCH_CM2 = 6.4516


def protocol(subjects: int) -> Protocol:
    return Protocol(
        randomized=subjects,
        groups=(_common.MEN_AGA_NORWOOD_III_IV,),
        outcome=Outcome(("TARGET",), SQUARE_INCH_CM2, 110, 25, {"MINOX": (1.89, 3.5), "MINOX_MN": (12.52, 4.5)}, visit_noise_sd=2.0),
        start=dt.date(2016, 8, 1),
        enrolment_days=150,
        age=(26.0, 4.0, 19, 38),
        dropout={"MINOX": 0.06, "MINOX_MN": 0.06},
        responders={"MINOX": 0.0, "MINOX_MN": 0.3},
        patient_responders={"MINOX": 0.0, "MINOX_MN": 0.1},
        pull_extracted={"MINOX": (0.12, 0.1), "MINOX_MN": (0.12, 0.07)},
        adverse_events=_common.parallel_adverse_events("MINOX", "MINOX_MN"),
        pain_mean=2.5,
    )


def study():
    demo = load_study("demo")
    return demo.model_copy(update={"sites": (Site(id="S01", name="Karnataka teaching hospital", target_enrolment=68, country="IND"),)})


def make(rng: np.random.Generator, subjects: int | None = None) -> SimulatedTrial:
    n = subjects or DEFAULT_SUBJECTS
    trial = simulate(protocol(n), study(), rng, primary_n_ok=_common.mean_change_feasible(MEAN_CHANGE, 2))
    _common.calibrate_mean_change(trial, "TARGET", MEAN_CHANGE, decimals=2)
    _common.calibrate_responders(trial, "PATIENT", PATIENT_RESPONDERS)
    return trial
