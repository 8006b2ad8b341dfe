import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import new_store, seed, team_store


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


@pytest.fixture(scope="session")
def probe_study(tmp_path_factory):
    """``probe_study("open_label" | "double_blind")``: the leak probe's study (tests/leak_probe.py),
    built once a session for the command-line, page and browser probes alike. Read it, or copy it."""
    import functools

    from leak_probe import build

    @functools.cache
    def built(name: str):
        return build(tmp_path_factory.mktemp(f"probe-{name}"), double_blind=name == "double_blind")

    return built


@pytest.fixture(scope="session")
def team_db(tmp_path_factory) -> Path:
    """The team's study (helpers.team_store: accounts of every role at two sites), built once a
    session. Read it, or take a ``team_db_copy`` to change."""
    folder = tmp_path_factory.mktemp("team")
    team_store(folder).close()
    return folder / "study.duckdb"


@pytest.fixture
def team_db_copy(team_db, tmp_path) -> Path:
    """A copy of the team's database for one test (to lock out, disable or load what it likes)."""
    copy = tmp_path / "study.duckdb"
    shutil.copy(team_db, copy)
    return copy


def _started_cluster():
    """A throwaway PostgreSQL cluster (tests/postgres.py). CI installs PostgreSQL (.ci/run); a machine
    without it skips the PostgreSQL tests, except in CI, where that fails."""
    import os

    from postgres import Cluster, server_programs

    if server_programs() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server programs are missing in CI: .ci/run installs them")
        pytest.skip("PostgreSQL's server programs are not installed here (apt-get install -y postgresql)")
    return Cluster.start()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the session; studies in it prefix their accounts' roles."""
    cluster = _started_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def pg_cluster_alone():
    """A cluster for one module's study, whose accounts' roles keep the accounts' own names (roles
    belong to the cluster, so two studies of one cluster cannot both have a "sam")."""
    cluster = _started_cluster()
    yield cluster
    cluster.stop()
