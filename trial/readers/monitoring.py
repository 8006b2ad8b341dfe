"""What a monitor reads before a visit or a safety review: enrolment against target, screen
failures, the visit-completion matrix, out-of-window visits, missing assessments, data-quality
findings and the latest uploads.

Every function takes the store first and the chosen sites as a tuple of site ids (empty: the whole
study), so the dashboards can cache the result per data version (``dashboards.data.cached``);
:func:`overview` returns everything the overview page shows from one cursor. The counting is done
in DuckDB (``trial/sql/readers/monitoring/*.sql``): at 10,000 subjects the page receives a few thousand
rows at most, never the study tables.

Definitions shared by the views:

- **data cut**: the latest date recorded anywhere in the study data (``trial.analysis.datasets.data_cut``);
- **expected visit**: a randomized subject's protocol visit whose window closed before the data cut
  while the subject was still on study (not discontinued before the visit's target day), or that
  already has a hair count; **completed**: it has a hair count; **missing**: due, no hair count.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from trial.analysis.datasets import open_datasets
from trial.store.sqlfiles import sql_text
from trial.store.reading import frame

RECENT_UPLOADS = 20
# The enrolment curve keeps to about this many (site, period) points: it moves from days to weeks
# to months as the study grows, so a 50-site study still draws quickly (weekly: ~2,300 points).
MOST_CURVE_POINTS = 2500
PERIODS = ("day", "week", "month")


def _sql(name: str) -> str:
    return sql_text(f"readers/monitoring/{name}")


def _chosen(sites: Sequence[str] | None) -> dict:
    return {"sites": [str(s) for s in (sites or ())]}


@contextlib.contextmanager
def _reading(store, *, visits: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own with the analysis datasets open on it (temporary views cost nothing until
    a query reads them); with ``visits``, also the data cut, a temporary table computed once for
    every query on the cursor, and the expected visits over it (another, read twice by the overview)."""
    cur = store.cursor()
    try:
        open_datasets(cur)
        if visits:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE data_cut AS {sql_text('analysis/data_cut')}")
            cur.execute(f"CREATE OR REPLACE TEMP TABLE expected_visits AS {_sql('expected_visits')}")
        yield cur
    finally:
        cur.close()


def _frame(cur: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    return frame(cur, _sql(name), params)


def _pct(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Headline:
    """The numbers at the top of the overview, for the chosen sites."""

    screened: int
    screen_failures: int
    screen_failure_pct: float | None
    randomized: int
    target_enrolment: int
    randomized_pct_of_target: float | None
    completed: int
    completed_pct: float | None
    discontinued: int
    discontinued_pct: float | None
    open_warnings: int
    corrected_warnings: int
    rejected_errors: int  # study-wide: a rejected file's rows never reach a site
    data_cut: dt.date | None


@dataclass(frozen=True)
class EnrolmentCurve:
    """Randomizations per site and period (``site_id``, ``period_start``, ``randomized``,
    ``cumulative``); ``period`` is ``day``, ``week`` or ``month``."""

    period: str
    points: pd.DataFrame


@dataclass(frozen=True)
class WindowReport:
    """Out-of-window visits: the list (one row per subject, visit and assessment date) and the
    number of subjects with the visit out of window by site and visit (with per-visit totals)."""

    visits: pd.DataFrame
    counts: pd.DataFrame


@dataclass(frozen=True)
class Overview:
    """Everything the study overview shows for the chosen sites (see the functions of the same names)."""

    sites: tuple[str, ...]
    headline: Headline
    progress: pd.DataFrame
    curve: EnrolmentCurve
    completion: pd.DataFrame
    missing: pd.DataFrame
    window: WindowReport
    warnings: pd.DataFrame
    warning_counts: pd.DataFrame
    rejected: pd.DataFrame
    uploads: pd.DataFrame


# --------------------------------------------------------------------------- queries on a cursor
def _data_cut(cur) -> dt.date | None:
    row = cur.execute("SELECT data_cut FROM data_cut").fetchone()
    return row[0] if row else None


def _progress(cur, sites) -> pd.DataFrame:
    return _frame(cur, "site_progress", _chosen(sites))


def _curve(cur, sites) -> EnrolmentCurve:
    counts = _frame(cur, "enrolment_periods", _chosen(sites)).iloc[0]
    period = next((p for p in PERIODS if int(counts[f"by_{p}"]) <= MOST_CURVE_POINTS), PERIODS[-1])
    return EnrolmentCurve(period, _frame(cur, "enrolment_curve", _chosen(sites) | {"period": period}))


def _window(cur, sites) -> WindowReport:
    # The list goes into a temporary table so that its counts read it rather than the study again.
    cur.execute(f"CREATE OR REPLACE TEMP TABLE out_of_window AS {_sql('out_of_window')}", _chosen(sites))
    visits = frame(cur, "SELECT * FROM out_of_window ORDER BY site_id, subject_id, position, assessment_date")
    return WindowReport(visits, _frame(cur, "out_of_window_counts"))


def _warnings(cur, sites) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The distinct warnings and their counts by rule and domain (from one temporary table)."""
    cur.execute(f"CREATE OR REPLACE TEMP TABLE quality_warnings AS {_sql('warnings')}", _chosen(sites))
    rows = frame(cur, "SELECT * FROM quality_warnings ORDER BY status DESC, site_id = '', site_id, subject_id, domain, line")
    return rows, _frame(cur, "warning_counts")


def _headline(progress: pd.DataFrame, warnings: pd.DataFrame, rejected: pd.DataFrame, cut) -> Headline:
    total = progress[progress.total].iloc[0]
    return Headline(
        screened=int(total.screened),
        screen_failures=int(total.screen_failures),
        screen_failure_pct=_pct(total.screen_failure_pct),
        randomized=int(total.randomized),
        target_enrolment=int(total.target_enrolment),
        randomized_pct_of_target=_pct(total.randomized_pct_of_target),
        completed=int(total.completed),
        completed_pct=_pct(total.completed_pct),
        discontinued=int(total.discontinued),
        discontinued_pct=_pct(total.discontinued_pct),
        open_warnings=int((warnings.status == "open").sum()),
        corrected_warnings=int((warnings.status == "corrected").sum()),
        rejected_errors=int(rejected.errors.sum()),
        data_cut=cut,
    )


# --------------------------------------------------------------------------- public functions
def overview(store, sites: tuple[str, ...] = (), recent: int = RECENT_UPLOADS) -> Overview:
    """Everything the overview page shows for the chosen sites (all when ``sites`` is empty), read
    on one cursor so that the data cut is found once."""
    sites = tuple(sites)
    with _reading(store, visits=True) as cur:
        progress = _progress(cur, sites)
        warnings, warning_counts = _warnings(cur, sites)
        rejected = _frame(cur, "rejected_errors")
        return Overview(
            sites=sites,
            headline=_headline(progress, warnings, rejected, _data_cut(cur)),
            progress=progress,
            curve=_curve(cur, sites),
            completion=_frame(cur, "visit_completion", _chosen(sites)),
            missing=_frame(cur, "missing_assessments", _chosen(sites)),
            window=_window(cur, sites),
            warnings=warnings,
            warning_counts=warning_counts,
            rejected=rejected,
            uploads=_frame(cur, "recent_uploads", {"limit": int(recent)}),
        )


def study_sites(store) -> pd.DataFrame:
    """The study's sites (``site_id``, ``name``, ``target_enrolment``) in site order, with any site
    that holds subjects without being declared (target 0)."""
    with _reading(store) as cur:
        return _frame(cur, "sites")


def headline(store, sites: tuple[str, ...] = ()) -> Headline:
    """Screened, screen failures, randomized against target, completed, discontinued and the
    data-quality warnings (open and corrected) of the chosen sites (all sites when ``sites`` is
    empty), the distinct errors of rejected uploads, and the data cut."""
    with _reading(store, visits=True) as cur:
        return _headline(_progress(cur, sites), _warnings(cur, sites)[0], _frame(cur, "rejected_errors"), _data_cut(cur))


def site_progress(store, sites: tuple[str, ...] = ()) -> pd.DataFrame:
    """Screening, randomization against target and disposition, one row per chosen site and a
    first row ``total`` (site_id None, name ``All sites``).

    Columns: ``target_enrolment``, ``screened``, ``screen_failures``, ``screen_failure_pct`` (of
    screened), ``randomized``, ``randomized_pct_of_target``, ``completed``, ``completed_pct`` and
    ``discontinued``, ``discontinued_pct`` (of randomized), ``last_randomized``. The counts are
    those of table 14.1.1 (ADSL's flags), restricted to the sites.
    """
    with _reading(store) as cur:
        return _progress(cur, sites)


def enrolment_curve(store, sites: tuple[str, ...] = ()) -> EnrolmentCurve:
    """Cumulative randomizations by site over time, by the finest period (day, week, month) that
    keeps the curve under ``MOST_CURVE_POINTS`` points."""
    with _reading(store) as cur:
        return _curve(cur, sites)


def visit_completion(store, sites: tuple[str, ...] = ()) -> pd.DataFrame:
    """The visit-completion matrix in long form: by site and visit (``position`` = protocol order)
    the ``expected``, ``completed`` and ``missing`` visits and ``completed_pct``; rows with
    ``total`` True (site_id None) sum the chosen sites per visit. See the module docstring for
    what is expected."""
    with _reading(store, visits=True) as cur:
        return _frame(cur, "visit_completion", _chosen(sites))


def missing_assessments(store, sites: tuple[str, ...] = ()) -> pd.DataFrame:
    """Due visits without a hair count: ``site_id``, ``subject_id``, ``visit``, ``position``,
    ``window_opens``, ``window_closes``, ``days_overdue`` (window close to data cut), ``status``
    (``ON STUDY``, ``COMPLETED`` or ``DISCONTINUED``) and ``status_date``."""
    with _reading(store, visits=True) as cur:
        return _frame(cur, "missing_assessments", _chosen(sites))


def out_of_window(store, sites: tuple[str, ...] = ()) -> WindowReport:
    """Visits whose hair count was taken outside the visit window (ADHC's window rule)."""
    with _reading(store) as cur:
        return _window(cur, sites)


def quality_warnings(store, sites: tuple[str, ...] = ()) -> pd.DataFrame:
    """The data-quality warnings kept from loaded uploads, each distinct finding once, open ones
    first: ``site_id``, ``subject_id`` (empty when the finding cannot be traced to a study row),
    ``domain``, ``file_name``, ``first_upload``, ``last_upload``, ``times_reported``,
    ``last_reported_utc``, ``line``, ``column_name``, ``value``, ``rule``, ``message``, ``status``
    (``open`` or ``corrected``). See ``warnings.sql`` for what makes two findings the same."""
    with _reading(store) as cur:
        return _warnings(cur, sites)[0]


def rejected_errors(store) -> pd.DataFrame:
    """The errors of rejected uploads by rule (each distinct error once): ``rule``, ``errors``,
    ``files``, an ``example`` message and ``last_seen_utc``. Study-wide: rejected rows have no site."""
    with _reading(store) as cur:
        return _frame(cur, "rejected_errors")


def recent_uploads(store, limit: int = RECENT_UPLOADS) -> pd.DataFrame:
    """The latest ``limit`` uploads, newest first: ``upload_id``, ``file_name``, ``domain``,
    ``status``, ``rows_in_file``, ``rows_inserted``, ``rows_corrected``, ``errors``, ``warnings``,
    ``user_name``, ``uploaded_at_utc``."""
    with _reading(store) as cur:
        return _frame(cur, "recent_uploads", {"limit": int(limit)})
