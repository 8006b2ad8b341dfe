"""AppTest fixtures: the whole app (``dashboards/app.py``) on a real DuckDB file.

``empty_app`` runs it on a database created for the demo study with nothing uploaded;
``loaded_app`` and ``single_arm_app`` on the calibrated dhurat2013 and starace2019 scenarios, loaded
through the normal upload path once per test session. Each gives ``open_page(path)``: the app
switched to that page and run, with ``TRIAL_DB`` pointing at the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import APP, scenario_store
from streamlit.testing.v1 import AppTest

from trial.store import Store
from trial.study import builtin_study_text

TIMEOUT = 120


def _scenario_db(folder: Path, scenario: str) -> Path:
    scenario_store(folder, scenario, seed=3, user="fixture").close()
    return folder / "study.duckdb"


@pytest.fixture(scope="session")
def dhurat_db(tmp_path_factory) -> Path:
    return _scenario_db(tmp_path_factory.mktemp("dhurat2013"), "dhurat2013")


@pytest.fixture(scope="session")
def starace_db(tmp_path_factory) -> Path:
    return _scenario_db(tmp_path_factory.mktemp("starace2019"), "starace2019")


def _opener(db: Path, monkeypatch):
    monkeypatch.setenv("TRIAL_DB", str(db))
    monkeypatch.setenv("TRIAL_USER", "apptest")

    def open_page(page: str | None = None) -> AppTest:
        """The app on ``page`` (e.g. ``"views/efficacy.py"``; None for the default page), run once."""
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_page


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    Store.create(db, builtin_study_text("demo"), user="fixture").close()
    return _opener(db, monkeypatch)


@pytest.fixture
def loaded_app(dhurat_db, monkeypatch):
    return _opener(dhurat_db, monkeypatch)


@pytest.fixture
def single_arm_app(starace_db, monkeypatch):
    return _opener(starace_db, monkeypatch)


@pytest.fixture
def ard_of():
    """The ARD of a database file, computed afresh by the core: what the pages must show. (Opened
    read-write, as the app opens it: DuckDB refuses two configurations of one file in a process.)"""
    from trial.analysis.ard import compute_ard

    def ard(db: Path):
        with Store.open(db) as store:
            return compute_ard(store)

    return ard
