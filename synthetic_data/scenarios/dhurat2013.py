"""Scenario ``dhurat2013``: Dhurat et al., Int J Trichology 2013;5:6–11.

Published (reproduced exactly, under any seed):
- mean change in target-area hair count (1 cm²) at week 12: MINOX_MN 91.4, MINOX 22.2;
- investigator global assessment +2 or +3 at week 12: 40 of 50 (MINOX_MN) and 0 (MINOX).

Modelling choices (the paper does not give them):
- one site; 100 men randomized 50:50 after screening (8 % screen failures);
- age 28.6 ± 5 (the review's mean), 20–40; Norwood III vertex or IV;
- baseline 160 ± 30 hairs/cm²: in the range reported for Norwood III–IV vertex areas;
- SD of the change at week 12: 25 (MINOX_MN), 20 (MINOX): close to the 20–25 hairs/cm² of the
  minoxidil pivotal trials;
- hair counts at weeks 4 and 8 on the way to week 12, and 80 % of the gain kept at week 24;
- 4 % of subjects leave early (lost to follow-up, withdrew consent, other), at least 40 subjects
  of MINOX_MN reach week 12 (40 responders need them);
- 4 % of post-baseline visits fall outside their window (monitors see them as warnings);
- weekly 1.5 mm roller sessions, 12 in all; pain 3.5 ± 1.5 on a 0–10 scale; pinpoint bleeding at
  85 % of sessions; erythema after most sessions (the end-point of each session was mild erythema);
- no serious adverse events; minoxidil events at the rates of its pivotal trials.
"""

import datetime as dt

import numpy as np

from synthetic_data.protocol import Outcome, Protocol
from synthetic_data.scenarios import _common
from synthetic_data.simulate import SimulatedTrial, simulate
from trial.study import Site, load_study

TITLE = "Dhurat 2013: minoxidil vs minoxidil + weekly microneedling, 100 men, 12 weeks"
DEFAULT_SUBJECTS = 100
NOTES = __doc__.strip()
MEAN_CHANGE = {"MINOX_MN": 91.4, "MINOX": 22.2}
RESPONDERS = {"MINOX_MN": 40, "MINOX": 0}


def protocol(subjects: int) -> Protocol:
    return Protocol(
        randomized=subjects,
        groups=(_common.MEN_AGA_NORWOOD_III_IV,),
        outcome=Outcome(("TARGET",), 1.0, 160, 30, {"MINOX": (22.2, 20), "MINOX_MN": (91.4, 25)}),
        start=dt.date(2011, 6, 6),
        enrolment_days=180,
        age=(28.6, 5.0, 20, 40),
        dropout={"MINOX": 0.04, "MINOX_MN": 0.04},
        responders={"MINOX": 0.0, "MINOX_MN": 0.8},
        patient_responders={"MINOX": 0.05, "MINOX_MN": 0.8},
        pull_extracted={"MINOX": (0.13, 0.09), "MINOX_MN": (0.13, 0.05)},
        adverse_events=_common.parallel_adverse_events("MINOX", "MINOX_MN"),
    )


def study():
    demo = load_study("demo")
    return demo.model_copy(
        update={
            "sites": (Site(id="S01", name="Mumbai hair research centre", target_enrolment=100, country="IND"),),
            "endpoint": demo.endpoint.model_copy(update={"decimals": 1}),  # the paper prints one decimal
        }
    )


def make(rng: np.random.Generator, subjects: int | None = None) -> SimulatedTrial:
    n = subjects or DEFAULT_SUBJECTS
    wanted = {arm: round(count * n / DEFAULT_SUBJECTS) for arm, count in RESPONDERS.items()}
    def enough(arm: str, reached: int) -> bool:  # responders can only be among those assessed
        return reached >= wanted.get(arm, 0)

    trial = simulate(protocol(n), study(), rng, primary_n_ok=_common.mean_change_feasible(MEAN_CHANGE, 1, enough))
    _common.calibrate_mean_change(trial, "TARGET", MEAN_CHANGE, decimals=1)
    _common.calibrate_responders(trial, "INVESTIGATOR", wanted)
    return trial
