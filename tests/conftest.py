import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import new_store, seed


@pytest.fixture
def store(tmp_path):
    """A real DuckDB file for the demo study, empty."""
    s = new_store(tmp_path / "study.duckdb")
    yield s
    s.close()


@pytest.fixture
def seeded(store):
    """The demo study with six subjects screened and four randomized (see helpers.py)."""
    seed(store)
    return store


@pytest.fixture(autouse=True)
def trial_home(tmp_path, monkeypatch):
    """TRIAL_HOME (where `trial login` keeps its token) in the test's own folder, never ~/.config/trial."""
    home = tmp_path / "trial-home"
    monkeypatch.setenv("TRIAL_HOME", str(home))
    return home
