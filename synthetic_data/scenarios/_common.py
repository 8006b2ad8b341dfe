"""What the parallel-arm scenarios share: the adverse events of topical minoxidil and of
microneedling, and the severity grades of the men's AGA population.

Rates are modelling choices. The seed papers report erythema and pinpoint bleeding at most
microneedling sessions and mild pain, and no serious events. The minoxidil events (scalp dryness,
pruritus, headache, hypertrichosis, contact dermatitis) are at rates of the order reported in the
topical minoxidil pivotal trials (a few to about 10 % each), the same in both arms because both
use minoxidil.
"""

import numpy as np

from synthetic_data.protocol import AdverseEventModel, Group

MEN_AGA_NORWOOD_III_IV = Group("M", "AGA", 1.0, "NORWOOD", ("III", "IIIV", "IV"))


def parallel_adverse_events(control: str, test: str) -> tuple[AdverseEventModel, ...]:
    def both(rate: float) -> dict[str, float]:
        return {control: rate, test: rate}

    return (
        AdverseEventModel("Erythema", ("redness after session", "scalp erythema", "red scalp"), {control: 0.03, test: 0.55}, "MICRONEEDLING", ("PROBABLE", "DEFINITE")),
        AdverseEventModel("Pinpoint bleeding", ("pinpoint bleeding", "bleeding spots on scalp"), {control: 0.0, test: 0.2}, "MICRONEEDLING", ("DEFINITE",)),
        AdverseEventModel("Pain", ("pain during session", "scalp pain"), {control: 0.02, test: 0.25}, "MICRONEEDLING", ("PROBABLE", "DEFINITE")),
        AdverseEventModel("Oedema", ("scalp swelling",), {control: 0.0, test: 0.05}, "MICRONEEDLING"),
        AdverseEventModel("Scalp dryness", ("dry scalp", "flaking scalp"), both(0.08), "MINOXIDIL"),
        AdverseEventModel("Pruritus", ("itchy scalp", "itching"), both(0.1), "MINOXIDIL"),
        AdverseEventModel("Headache", ("headache",), both(0.04), "MINOXIDIL", ("UNLIKELY", "POSSIBLE")),
        AdverseEventModel("Hypertrichosis", ("facial hair growth", "hair on forehead"), both(0.03), "MINOXIDIL"),
        AdverseEventModel("Contact dermatitis", ("rash after lotion",), both(0.02), "MINOXIDIL"),
        AdverseEventModel("Folliculitis", ("pustules on scalp",), {control: 0.01, test: 0.03}, "OTHER", ("UNLIKELY", "POSSIBLE")),
    )


def mean_change_feasible(targets: dict[str, float], decimals: int, also=None):
    """``primary_n_ok`` for :func:`simulate`: an arm's n must allow its published mean exactly."""
    from synthetic_data.calibrate_counts import feasible_total

    def ok(arm: str, n: int) -> bool:
        return (arm not in targets or feasible_total(targets[arm], n, decimals) is not None) and (also is None or also(arm, n))

    return ok


def calibrate_mean_change(trial, region: str, targets: dict[str, float], decimals: int) -> None:
    """Shift each arm's changes at the primary visit (keeping each subject's noise) so that the
    arm's mean change among subjects with that visit is the published value at its precision."""
    from synthetic_data.calibrate_counts import shift_to_mean

    counts = trial.counts
    primary = counts[(counts.visit == trial.study.primary_visit.code) & (counts.region == region)]
    for arm, target in targets.items():
        rows = primary.index[primary.arm == arm]
        baseline = counts.loc[rows, "baseline"].to_numpy()
        change = counts.loc[rows, "value"].to_numpy() - baseline
        adjusted = shift_to_mean(change, target, decimals, trial.rng, low=-int(baseline.min()), high=2000 - int(baseline.max()))
        counts.loc[rows, "value"] = baseline + adjusted


def calibrate_responders(trial, assessor: str, responders: dict[str, int]) -> None:
    """Exactly ``responders[arm]`` subjects scored +2 or +3 at the primary visit; the others -1 to +1."""
    scores = trial.assessments
    rng = trial.rng
    primary = scores[(scores.visit == trial.study.primary_visit.code) & (scores.assessor == assessor)]
    for arm, wanted in responders.items():
        rows = primary.index[primary.arm == arm].to_numpy()
        if wanted > len(rows):
            raise ValueError(f"{wanted} responders wanted in arm {arm} but only {len(rows)} subjects were assessed")
        chosen = np.zeros(len(rows), dtype=bool)
        chosen[rng.choice(len(rows), size=wanted, replace=False)] = True
        scores.loc[rows, "score"] = np.where(
            chosen, rng.integers(2, 4, len(rows)), rng.choice([-1, 0, 1], size=len(rows), p=[0.1, 0.6, 0.3])
        )
