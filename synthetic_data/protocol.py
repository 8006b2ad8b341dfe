"""The modelling choices behind a synthetic trial, as data.

A scenario fills in a ``Protocol``: who is screened, how many fail screening, how subjects are
allocated, what their hair counts do, how often they drop out, miss a visit window, report an
adverse event or bleed at a session. Everything a paper does not state is a choice made here,
with its reason written next to it in the scenario module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Group:
    """A kind of subject: sex and diagnosis, their share of those randomized, their severity scale."""

    sex: str
    diagnosis: str
    share: float
    scale: str | None = None  # NORWOOD, LUDWIG, SALT
    grades: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """Hair counts in each assessed region: baseline, and the change reached at the primary visit."""

    regions: tuple[str, ...]
    area_cm2: float
    baseline_mean: float
    baseline_sd: float
    change: dict[str, tuple[float, float]]  # arm → (mean, sd) of the change at the primary visit
    kept_after_primary: float = 0.8  # share of the primary-visit gain still there at later visits
    visit_noise_sd: float = 4.0


@dataclass(frozen=True)
class AdverseEventModel:
    pt: str
    terms: tuple[str, ...]  # verbatim terms as sites report them
    risk: dict[str, float]  # arm → probability that a subject has the event
    cause: str  # suspected cause: MINOXIDIL, MICRONEEDLING, BOTH, OTHER
    relationship: tuple[str, ...] = ("POSSIBLE", "PROBABLE")
    moderate_share: float = 0.1


@dataclass(frozen=True)
class Protocol:
    randomized: int
    groups: tuple[Group, ...]
    outcome: Outcome
    start: dt.date  # first screening
    enrolment_days: int
    screen_fail_share: float = 0.08
    age: tuple[float, float, int, int] = (30.0, 6.0, 18, 50)  # mean, sd, min, max
    dropout: dict[str, float] = field(default_factory=dict)  # arm → probability of leaving early
    dropout_reasons: dict[str, float] = field(
        default_factory=lambda: {"LOST_TO_FOLLOW_UP": 0.5, "WITHDREW_CONSENT": 0.3, "OTHER": 0.2}
    )
    out_of_window_share: float = 0.04  # post-baseline visits dated outside their window
    responders: dict[str, float] = field(default_factory=dict)  # arm → P(investigator score +2/+3)
    patient_responders: dict[str, float] = field(default_factory=dict)  # arm → P(patient score +2/+3)
    pull_region: str = "VERTEX"
    pull_extracted: dict[str, tuple[float, float]] = field(default_factory=dict)  # arm → (baseline, primary) share
    adverse_events: tuple[AdverseEventModel, ...] = ()
    pain_mean: float = 3.5
    bleeding_share: float = 0.85
    passes: tuple[int, int] = (8, 15)
