"""Everything the pages read, and the only module that uses ``st.cache_*``.

On the embedded engine one read-write ``Store`` per database file is kept for the life of the server
(``st.cache_resource``): the upload page writes through it and every page reads through cursors of it.
On PostgreSQL the server signs in as the study's owner and keeps, per signed-in account, a store that
acts as that account's role (``SET ROLE``): its copy holds only the rows and columns the database
lets that role select, and its writes are checked by the role's policies; signing in and sessions go
through a store of the accounts' tables alone (:func:`accounts`), shared by every server through the
database. Results are cached with ``st.cache_data`` keyed on the store (database and role), its data
version (which grows with every committed change of the data, in any process, so a successful upload
refreshes every page) and the signed-in user's :class:`~trial.governance.access.Access`: core
functions run on that user's view of the store, so a site user's pages hold their site's rows only and
a blinded user's pages pooled data only. Pages call core functions through :func:`cached`; they never
compute a statistic.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from trial.analysis.ard import ard_for
from trial.analysis.datasets import analysis_dataset
from trial.governance import users
from trial.governance.access import Access
from trial.governance.views import scoped
from trial.governance.users import User
from trial.settings import Settings
from trial.store import Store
from trial.study import Study

SESSION_TOKEN = "session_token"


def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner=False, max_entries=64)
def _open(where: str, acting_as: str | None = None, sign_in_only: bool = False):
    """The store of ``where`` (a database file, or a PostgreSQL study's URL: then as the role
    ``acting_as``, or the URL's own; with ``sign_in_only``, its accounts' tables alone)."""
    if Path(where).is_absolute():
        return Store.open(where)
    from trial.store.server import ServerStore

    return ServerStore.for_sign_in(where) if sign_in_only else ServerStore.open(where, acting_as=acting_as)


def _where() -> str | None:
    """The database file (absolute) or the study's URL; None when there is no database file there yet."""
    current = settings()
    if current.db_url is not None:
        return current.db_url
    return str(current.db_path.resolve()) if current.db_path.is_file() else None


def accounts():
    """The store that signs people in and keeps their sessions: the study's own on the embedded
    engine; on PostgreSQL a copy of the accounts' tables alone, read as the study's owner and copied
    again whenever an account or a session changed in any process. None when there is no database yet."""
    where = _where()
    if where is None:
        return None
    if settings().db_url is None:
        return _open(where)
    store = _open(where, sign_in_only=True)
    store.refresh()
    return store


def _chosen() -> tuple | None:
    """Which store the signed-in user's pages use: the arguments of :func:`_open` (None: no database yet)."""
    where = _where()
    if where is None or settings().db_url is None:
        return None if where is None else (where,)
    sign_in = accounts()
    if not users.has_accounts(sign_in):
        return (where,)
    who = users.session_user(sign_in, st.session_state.get(SESSION_TOKEN))
    return (where, None, True) if who is None else (where, who.user_name)


def store():
    """The store the signed-in user's pages read and write (None when there is no database file yet).
    On PostgreSQL it acts as that user's role; before anyone signs in it holds the accounts' tables
    only, and before the study's first account, the owner's whole study (the study runs open)."""
    chosen = _chosen()
    return None if chosen is None else _open(*chosen)


def where_shown() -> str:
    """How the sidebar names the database: the file's name, or the PostgreSQL database's name and
    server (never the login the server uses)."""
    current = settings()
    if current.db_url is None:
        return current.db_path.name
    address = urlsplit(current.db_url)
    return f"{address.path.strip('/')} on PostgreSQL at {address.hostname or 'localhost'}"


def db_path() -> Path:
    return settings().db_path


def version() -> int:
    return store().data_version()


def user() -> User | None:
    """Who is using this browser session: the account signed in (None when nobody is, or the
    session has expired or been ended, or the account is locked out or disabled: asked at every run,
    so that this ends a browser session at its next click). Before the study's first account exists
    the study is open, and ``TRIAL_USER`` acts with every role but the evaluator's (``trial.governance.users.open_user``)."""
    current = accounts()
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
def _cached(chosen: tuple, versions: tuple[int, int], seen: Access, module: str, name: str, args: tuple, kwargs: tuple):
    function = getattr(importlib.import_module(module), name)
    return function(scoped(_open(*chosen), seen), *args, **dict(kwargs))


def cached(function: Callable, *args, **kwargs):
    """``function(store, *args, **kwargs)`` on the user's view of the store, computed once per
    version of the database (its data and its work: queries, accounts) and access. (The ARD keeps
    its own cache by data version alone, so a query opened recomputes no statistic.)

    ``function`` must be a module-level function of the core (``trial.…``) whose first argument is
    the store; the arguments must be hashable. The cache forgets old versions as new ones come.
    """
    chosen = _chosen()
    return _cached(chosen, _open(*chosen).versions(), access(), function.__module__, function.__qualname__, args,
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
def _warm(chosen: tuple, data_version: int, seen: Access) -> threading.Thread:
    thread = threading.Thread(target=ard_for, args=(scoped(_open(*chosen), seen),), name=f"warm-ard-{data_version}", daemon=False)
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
    chosen = _chosen()
    if chosen is not None and user() is not None:
        _warm(chosen, _open(*chosen).data_version(), access())


def forget() -> None:
    """Drop every cached result (after a write made outside this server, say)."""
    _cached.clear()
