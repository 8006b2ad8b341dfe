"""Fixtures of the browser tests: servers on the demo study and on an empty one, and Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import CHROMIUM, FLAGS, serve


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """The dashboards on the demo study (dhurat2013, built through the normal upload path)."""
    from synthetic_data.demo import build_demo

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.duckdb"
    assert all(r.ok for r in build_demo(db, user="browser", scenario="dhurat2013", seed=1))
    process, url = serve(db, folder / "server.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def empty_server(tmp_path):
    """The dashboards on a new database of the demo study with nothing uploaded."""
    from trial.store import Store
    from trial.study import builtin_study_text

    db = tmp_path / "empty.duckdb"
    Store.create(db, builtin_study_text("demo"), user="browser").close()
    process, url = serve(db, tmp_path / "server.log")
    yield url, db
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def team_server_on_postgresql(tmp_path_factory, pg_cluster_alone):
    """The same two-site study and accounts in a PostgreSQL database (each account a role of its own
    name), served as its owner: the server acts as each account that signs in."""
    from helpers import TEAM_PASSWORD, team_store
    from postgres import server_twin

    folder = tmp_path_factory.mktemp("team-pg")
    with team_store(folder) as store:
        url, _ = server_twin(pg_cluster_alone, "teamweb", store, TEAM_PASSWORD, prefix="")
    process, address = serve(url, folder / "server.log")
    yield address, url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()



@pytest.fixture(scope="session")
def team_server(tmp_path_factory):
    """The dashboards on a two-site study with an account for every role (helpers.TEAM)."""
    from helpers import team_store

    folder = tmp_path_factory.mktemp("team")
    team_store(folder).close()
    process, url = serve(folder / "study.duckdb", folder / "server.log")
    yield url, folder / "study.duckdb"
    process.terminate()
    process.wait(timeout=20)
