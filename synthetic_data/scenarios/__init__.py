"""The synthetic scenarios: each simulates a trial calibrated to a published study (or, ``scale``,
at any size) and writes it as the eight CSV files a site would upload, with its study.toml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from synthetic_data.files import write_trial


@dataclass(frozen=True)
class Scenario:
    name: str
    module: ModuleType

    @property
    def title(self) -> str:
        return self.module.TITLE

    @property
    def default_subjects(self) -> int:
        return self.module.DEFAULT_SUBJECTS


def _registry() -> dict[str, Scenario]:
    from synthetic_data.scenarios import dhurat2013, kumar2018, scale, starace2019

    modules = {"dhurat2013": dhurat2013, "kumar2018": kumar2018, "starace2019": starace2019, "scale": scale}
    return {name: Scenario(name, module) for name, module in modules.items()}


SCENARIOS = _registry()


def write_scenario(name: str, folder: str | Path, *, seed: int = 1, subjects: int | None = None) -> list[Path]:
    """Simulate scenario ``name`` with ``seed`` and write its files into ``folder``."""
    if name not in SCENARIOS:
        raise KeyError(f"'{name}' is not a scenario; the scenarios are {', '.join(SCENARIOS)}")
    module = SCENARIOS[name].module
    trial = module.make(np.random.default_rng(seed), subjects)
    notes = f"{module.NOTES}\nWritten by `trial synth --scenario {name} --seed {seed}`."
    return write_trial(trial, Path(folder), notes)
