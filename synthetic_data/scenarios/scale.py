"""Scenario ``scale``: the dhurat2013 protocol at any size, over as many sites as it needs
(about 200 subjects a site), for benchmarks. Not calibrated: its statistics vary with the seed."""

import datetime as dt
import math

import numpy as np

from synthetic_data.protocol import Outcome, Protocol
from synthetic_data.scenarios import _common
from synthetic_data.simulate import SimulatedTrial, simulate
from trial.study import Site, load_study

TITLE = "Minoxidil ± microneedling at scale (benchmarks)"
DEFAULT_SUBJECTS = 1000
NOTES = """Scenario scale: the dhurat2013 protocol (demo study arms and visits) with N subjects over
ceil(N / 200) sites. Baseline 160 ± 30 hairs per cm2; change at week 12 22 ± 20 (MINOX) and
91 ± 25 (MINOX_MN); 5 % dropout per arm; 4 % of post-baseline visits outside their window.
Not calibrated: statistics vary with the seed."""


def protocol(subjects: int) -> Protocol:
    return Protocol(
        randomized=subjects,
        groups=(_common.MEN_AGA_NORWOOD_III_IV,),
        outcome=Outcome(("TARGET",), 1.0, 160, 30, {"MINOX": (22, 20), "MINOX_MN": (91, 25)}),
        start=dt.date(2023, 1, 9),
        enrolment_days=300,
        age=(29.0, 5.5, 18, 45),
        dropout={"MINOX": 0.05, "MINOX_MN": 0.05},
        responders={"MINOX": 0.05, "MINOX_MN": 0.7},
        patient_responders={"MINOX": 0.1, "MINOX_MN": 0.75},
        pull_extracted={"MINOX": (0.12, 0.09), "MINOX_MN": (0.12, 0.05)},
        adverse_events=_common.parallel_adverse_events("MINOX", "MINOX_MN"),
    )


def make(rng: np.random.Generator, subjects: int | None = None) -> SimulatedTrial:
    n = subjects or DEFAULT_SUBJECTS
    sites = math.ceil(n / 200)
    study = load_study("demo")
    width = max(2, len(str(sites)))
    study = study.model_copy(
        update={"sites": tuple(Site(id=f"S{i:0{width}d}", name=f"Site {i}", target_enrolment=200) for i in range(1, sites + 1))}
    )
    return simulate(protocol(n), study, rng)
