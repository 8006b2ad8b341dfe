"""Everything the pages read, and the only module that uses ``st.cache_*``.

One read-write ``Store`` per database file is kept for the life of the server (``st.cache_resource``):
the upload page writes through it and every page reads through cursors of it. Results are cached
with ``st.cache_data`` keyed on the database file, its data version (which grows with every
committed change of the data, so a successful upload refreshes every page) and the signed-in
user's :class:`~trial.governance.access.Access`: core functions run on that user's view of the store, so a
site user's pages hold their site's rows only and a blinded user's pages pooled data only. Pages
call core functions through :func:`cached`; they never compute a statistic.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from trial.analysis.ard import ard_for
from trial.analysis.datasets import analysis_dataset
from trial.governance import users
from trial.governance.access import Access
from trial.governance.views import scoped
from trial.governance.users import User
from trial.settings import Settings, not_yet_on_server
from trial.store import Store
from trial.study import Study

SESSION_TOKEN = "session_token"


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner=False, max_entries=4)
def _open(path: str) -> Store:
    return Store.open(path)


def store() -> Store | None:
    """The store of ``TRIAL_DB``, or None when there is no database file there yet."""
    current = settings()
    if current.db_url is not None:
        raise not_yet_on_server(current.db_shown)
    path = current.db_path
    if not path.is_file():
        return None
    return _open(str(path.resolve()))


def db_path() -> Path:
    return settings().db_path


def version() -> int:
    return store().data_version()


def user() -> User | None:
    """Who is using this browser session: the account signed in (None when nobody is, or the
    session has expired or been ended, or the account is locked out or disabled: asked at every run,
    so that this ends a browser session at its next click). Before the study's first account exists
    the study is open, and ``TRIAL_USER`` acts with every role but the evaluator's (``trial.governance.users.open_user``)."""
    current = store()
    if current is None or not users.has_accounts(current):
        return users.open_user(settings().user)
    return users.session_user(current, st.session_state.get(SESSION_TOKEN))


def access() -> Access:
    """What the signed-in user may see (nothing when nobody is signed in)."""
    who = user()
    return Access.of(who) if who is not None else Access(sites=frozenset(), blinded=True, assessments_only=True)


def study() -> Study:
    """The study as the user sees it: their sites; one pooled arm when blinded."""
    return scoped(store(), access()).study


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(path: str, data_version: int, seen: Access, module: str, name: str, args: tuple, kwargs: tuple):
    function = getattr(importlib.import_module(module), name)
    return function(scoped(_open(path), seen), *args, **dict(kwargs))


def cached(function: Callable, *args, **kwargs):
    """``function(store, *args, **kwargs)`` on the user's view of the store, computed once per data
    version of the database and access.

    ``function`` must be a module-level function of the core (``trial.…``) whose first argument is
    the store; the arguments must be hashable. The cache forgets old versions as new ones come.
    """
    current = store()
    return _cached(str(current.path), current.data_version(), access(), function.__module__, function.__qualname__, args,
                   tuple(sorted(kwargs.items())))


def ard() -> pd.DataFrame:
    """The analysis results dataset of the current data: every statistic a page shows."""
    return cached(ard_for)


def dataset(name: str) -> pd.DataFrame:
    """One analysis dataset (``adsl``, ``adhc``, ``adpt``, ``adga``, ``adae``) of the current data."""
    return cached(analysis_dataset, name)


def subject_count(current: Store) -> int:
    return int(current.scalar("SELECT count(*) FROM subjects"))


def has_subjects() -> bool:
    return cached(subject_count) > 0


@st.cache_resource(show_spinner=False, max_entries=16)
def _warm(path: str, data_version: int, seen: Access) -> threading.Thread:
    thread = threading.Thread(target=ard_for, args=(scoped(_open(path), seen),), name=f"warm-ard-{data_version}", daemon=False)
    # not a daemon (which it would inherit from the script thread): at exit the process waits for it
    # instead of killing it inside DuckDB
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def _warm_plotly() -> threading.Thread:
    """Plotly loads a template and its trace classes the first time a figure uses them (~0.6 s):
    done once per server, in the background, instead of in the first chart a person waits for."""
    import plotly.graph_objects as go

    def draw() -> None:
        go.Figure(go.Scatter(x=[0], y=[0]), layout={"template": "simple_white"}).to_dict()
        go.Figure([go.Bar(x=[0], y=[0]), go.Heatmap(z=[[0]]), go.Box(y=[0])]).to_dict()

    thread = threading.Thread(target=draw, name="warm-plotly", daemon=False)
    thread.start()
    return thread


def warm_up() -> None:
    """Start computing the ARD of the current data version in the background, once per version,
    so that the first page that needs it finds it ready (``ard_for`` keeps it; a page asking
    meanwhile waits for that one computation instead of starting another); and load Plotly's parts."""
    _warm_plotly()
    current = store()
    if current is not None and user() is not None:
        _warm(str(current.path), current.data_version(), access())


def forget() -> None:
    """Drop every cached result (after a write made outside this server, say)."""
    _cached.clear()
