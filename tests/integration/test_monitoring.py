"""trial.readers.monitoring against independent computations: pandas on the raw study tables (subjects,
randomization, disposition, hair_counts, findings, uploads, audit_trail), ADHC's window flag, and
the ARD's table 14.1.1. Data sets: dhurat2013 (one site, complete visits), scale with 600 subjects
(three sites, dropouts, visits outside their windows) and small hand-built studies whose expected
numbers are worked out in the test."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from helpers import HAIR_COUNTS_HEADER, csv_bytes, load, new_store, scenario_store, seed

from trial.analysis.ard import compute_ard
from trial.analysis.datasets import analysis_dataset, data_cut
from trial.readers import monitoring
from trial.store import Store

DISPOSITION_HEADER = "site_id,subject_id,status,status_date,reason"
DATE_COLUMNS = {
    "subjects": ["screening_date", "consent_date"], "randomization": ["randomization_date"],
    "hair_counts": ["assessment_date"], "pull_tests": ["assessment_date"], "global_assessments": ["assessment_date"],
    "procedures": ["session_date"], "adverse_events": ["onset_date", "resolution_date"], "disposition": ["status_date"],
}


def _scenario(tmp_path_factory, scenario: str, seed_: int, subjects: int | None = None) -> Store:
    return scenario_store(tmp_path_factory.mktemp(scenario), scenario, seed=seed_, subjects=subjects)


@pytest.fixture(scope="module")
def scale(tmp_path_factory):
    store = _scenario(tmp_path_factory, "scale", 5, 600)
    yield store
    store.close()


@pytest.fixture(scope="module")
def dhurat(tmp_path_factory):
    store = _scenario(tmp_path_factory, "dhurat2013", 3)
    yield store
    store.close()


@pytest.fixture(params=["dhurat", "scale"])
def study(request):
    return request.getfixturevalue(request.param)


def raw(store, table: str) -> pd.DataFrame:
    frame = store.query(f"SELECT * FROM {table}")
    for column in DATE_COLUMNS.get(table, []):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def hair_count_rows(rows: list[tuple[str, str, str]]) -> bytes:
    """A hair_counts file: (subject, visit, date) each in the TARGET region of site S01/S02."""
    return csv_bytes(HAIR_COUNTS_HEADER, [f"{s[:3]},{s},{v},{d},TARGET,1,{100 + i},,,,EV1" for i, (s, v, d) in enumerate(rows)])


# --------------------------------------------------------------------------- independent computations
def independent_progress(store, sites=None) -> pd.DataFrame:
    """Screened, screen failures, randomized, completed, discontinued by site, with pandas."""
    subjects, randomized, disposition = raw(store, "subjects"), raw(store, "randomization"), raw(store, "disposition")
    if sites:
        subjects = subjects[subjects.site_id.isin(sites)]
    frame = subjects.assign(
        failed=subjects.eligible != "Y",
        randomized=subjects.subject_id.isin(randomized.subject_id),
    ).merge(disposition[["subject_id", "status"]], on="subject_id", how="left")
    return frame.groupby("site_id").agg(
        screened=("subject_id", "size"), screen_failures=("failed", "sum"), randomized=("randomized", "sum"),
        completed=("status", lambda s: int((s == "COMPLETED").sum())),
        discontinued=("status", lambda s: int((s == "DISCONTINUED").sum())),
    )


def independent_data_cut(store) -> pd.Timestamp:
    return max(raw(store, t)[c].max() for t, columns in DATE_COLUMNS.items() for c in columns if raw(store, t)[c].notna().any())


def independent_expected_visits(store) -> pd.DataFrame:
    """Randomized subject × protocol visit with due / assessed / expected, with pandas."""
    cut = independent_data_cut(store)
    visits = pd.DataFrame([{"visit": v.code, "target_day": v.day, "earliest_day": v.earliest_day, "latest_day": v.latest_day}
                           for v in store.study.visits])
    subjects = raw(store, "randomization").merge(raw(store, "disposition")[["subject_id", "status", "status_date"]],
                                                 on="subject_id", how="left")
    frame = subjects.merge(visits, how="cross")
    closes = frame.randomization_date + pd.to_timedelta(frame.latest_day, unit="D")
    target = frame.randomization_date + pd.to_timedelta(frame.target_day, unit="D")
    left_before = (frame.status == "DISCONTINUED") & (frame.status_date < target)
    assessed = set(zip(raw(store, "hair_counts").subject_id, raw(store, "hair_counts").visit, strict=True))
    frame["assessed"] = [(s, v) in assessed for s, v in zip(frame.subject_id, frame.visit, strict=True)]
    frame["due"] = (closes < cut) & ~left_before
    return frame[frame.due | frame.assessed]


# --------------------------------------------------------------------------- headline and enrolment
def test_the_headline_equals_table_14_1_1_of_the_ard(study):
    """Screened, screen failures, randomized, completed, discontinued: the ARD's TOTAL counts."""
    ard = compute_ard(study)
    disposition = ard[(ard.table_id == "14.1.1") & (ard.population == "ITT") & (ard.group == "TOTAL") & (ard.stat == "count")]
    count = {p: int(v) for p, v in zip(disposition.param, disposition.value, strict=True) if p != "DISCONTINUED_REASON"}
    top = monitoring.headline(study)
    assert (top.screened, top.screen_failures, top.randomized, top.completed, top.discontinued) == (
        count["SCREENED"], count["SCREEN_FAILURE"], count["RANDOMIZED"], count["COMPLETED"], count["DISCONTINUED"])
    assert top.target_enrolment == sum(s.target_enrolment for s in study.study.sites)
    assert top.randomized_pct_of_target == pytest.approx(100 * top.randomized / top.target_enrolment)
    pct = ard[(ard.table_id == "14.1.1") & (ard.group == "TOTAL") & (ard.stat == "pct")].set_index("param").value
    assert top.completed_pct == pytest.approx(pct["COMPLETED"], rel=1e-9)
    assert top.discontinued_pct == pytest.approx(pct["DISCONTINUED"], rel=1e-9)


def test_site_progress_equals_pandas_on_the_raw_tables(scale):
    progress = monitoring.site_progress(scale)
    per_site = progress[~progress.total].set_index("site_id")
    expected = independent_progress(scale)
    columns = ["screened", "screen_failures", "randomized", "completed", "discontinued"]
    assert len(expected) == 3
    pd.testing.assert_frame_equal(per_site.loc[expected.index, columns].astype(int), expected[columns].astype(int),
                                  check_names=False)
    targets = {s.id: s.target_enrolment for s in scale.study.sites}
    assert per_site.target_enrolment.to_dict() == targets
    total = progress[progress.total].iloc[0]
    assert total["name"] == "All sites" and pd.isna(total.site_id)
    assert int(total.screened) == int(expected.screened.sum())
    assert total.screen_failure_pct == pytest.approx(100 * expected.screen_failures.sum() / expected.screened.sum())


def test_the_site_filter_restricts_every_count(scale):
    chosen = ("S02", "S03")
    top = monitoring.headline(scale, chosen)
    expected = independent_progress(scale, chosen).sum()
    assert (top.screened, top.screen_failures, top.randomized, top.completed, top.discontinued) == tuple(
        int(expected[c]) for c in ("screened", "screen_failures", "randomized", "completed", "discontinued"))
    assert top.target_enrolment == sum(s.target_enrolment for s in scale.study.sites if s.id in chosen)
    view = monitoring.overview(scale, chosen)
    for frame in (view.progress[~view.progress.total], view.completion[~view.completion.total], view.missing,
                  view.window.visits, view.warnings, view.curve.points):
        assert set(frame.site_id) <= set(chosen)
    assert set(view.progress[~view.progress.total].site_id) == set(chosen)


def test_the_enrolment_curve_counts_randomizations_by_day_and_site(scale):
    curve = monitoring.enrolment_curve(scale)
    assert curve.period == "day"
    randomized = raw(scale, "randomization")
    expected = randomized.groupby(["site_id", "randomization_date"]).size()
    got = curve.points.assign(period_start=pd.to_datetime(curve.points.period_start)).set_index(["site_id", "period_start"])
    assert got.randomized.to_dict() == expected.to_dict()
    assert got.cumulative.to_dict() == expected.groupby(level=0).cumsum().to_dict()


def test_the_enrolment_curve_moves_to_weeks_when_days_would_be_too_many(scale, monkeypatch):
    monkeypatch.setattr(monitoring, "MOST_CURVE_POINTS", 200)
    curve = monitoring.enrolment_curve(scale)
    dates = raw(scale, "randomization").assign(
        week=lambda f: f.randomization_date - pd.to_timedelta(f.randomization_date.dt.day_of_week, unit="D"))
    expected = dates.groupby(["site_id", "week"]).size()
    if len(expected) > 200:
        assert curve.period == "month"
    else:
        assert curve.period == "week"
        got = curve.points.assign(period_start=pd.to_datetime(curve.points.period_start)).set_index(["site_id", "period_start"])
        assert got.randomized.to_dict() == expected.to_dict()
    last = curve.points.groupby("site_id").cumulative.last()
    assert last.to_dict() == raw(scale, "randomization").groupby("site_id").size().to_dict()


# --------------------------------------------------------------------------- visits
def test_the_data_cut_is_the_latest_date_in_the_study_data(study):
    assert pd.Timestamp(data_cut(study)) == independent_data_cut(study)


def test_visit_completion_equals_pandas(study):
    completion = monitoring.visit_completion(study)
    expected = independent_expected_visits(study)
    by_site = expected.groupby(["site_id", "visit"]).agg(
        expected=("subject_id", "size"), completed=("assessed", "sum"),
        missing=("assessed", lambda a: int((~a & expected.loc[a.index, "due"]).sum())))
    got = completion[~completion.total].set_index(["site_id", "visit"])[["expected", "completed", "missing"]]
    pd.testing.assert_frame_equal(got.sort_index().astype(int), by_site.sort_index().astype(int), check_names=False)
    totals = completion[completion.total].set_index("visit")
    assert totals.expected.to_dict() == expected.groupby("visit").size().to_dict()
    assert (totals.completed_pct == 100 * totals.completed / totals.expected).all()
    # protocol order
    order = {v.code: i for i, v in enumerate(study.study.visits, start=1)}
    assert (completion.position == completion.visit.map(order)).all()


def test_missing_assessments_equal_pandas(study):
    expected = independent_expected_visits(study)
    missing = expected[expected.due & ~expected.assessed]
    got = monitoring.missing_assessments(study)
    assert set(zip(got.subject_id, got.visit, strict=True)) == set(zip(missing.subject_id, missing.visit, strict=True))
    closes = pd.to_datetime(got.window_closes)
    assert (pd.to_timedelta(got.days_overdue, unit="D") == independent_data_cut(study) - closes).all()


def test_missing_assessments_of_a_hand_built_study(tmp_path):
    """Four randomized subjects; data cut 2024-06-01 (a disposition date). Randomized 2024-01-10
    (S01-001, S01-002), 2024-01-12 (S01-003, discontinued 2024-01-20) and 2024-01-15 (S02-001):
    baseline to week 12 are due for three of them (week 24 closes after the cut), baseline alone for
    S01-003 (it left before the week 4 target day)."""
    store = new_store(tmp_path / "study.duckdb")
    seed(store)
    assert load(store, hair_count_rows([("S01-001", "BASELINE", "2024-01-09"), ("S01-001", "WEEK_4", "2024-02-07"),
                                        ("S01-002", "BASELINE", "2024-01-10")]), "hair_counts").status == "loaded"
    rows = ["S01,S01-003,DISCONTINUED,2024-01-20,WITHDREW_CONSENT", "S02,S02-001,COMPLETED,2024-06-01,"]
    result = load(store, csv_bytes(DISPOSITION_HEADER, rows), "disposition")
    assert result.status == "loaded", [f.sentence for f in result.findings]
    assert data_cut(store) == dt.date(2024, 6, 1)
    got = monitoring.missing_assessments(store)
    assert sorted(zip(got.subject_id, got.visit, strict=True)) == sorted([
        ("S01-001", "WEEK_8"), ("S01-001", "WEEK_12"),
        ("S01-002", "WEEK_4"), ("S01-002", "WEEK_8"), ("S01-002", "WEEK_12"),
        ("S01-003", "BASELINE"),
        ("S02-001", "BASELINE"), ("S02-001", "WEEK_4"), ("S02-001", "WEEK_8"), ("S02-001", "WEEK_12"),
    ])
    completion = monitoring.visit_completion(store).query("total").set_index("visit")
    assert completion.loc["BASELINE", ["expected", "completed", "missing"]].tolist() == [4, 2, 2]
    assert completion.loc["WEEK_4", ["expected", "completed", "missing"]].tolist() == [3, 1, 2]
    assert "WEEK_24" not in completion.index
    store.close()


def test_out_of_window_visits_are_adhc_s_window_flag(study):
    adhc = analysis_dataset(study, "adhc")
    flagged = adhc[(adhc.param == "HAIR_COUNT") & ~adhc.winfl.astype(bool)]
    report = monitoring.out_of_window(study)
    got = report.visits
    assert len(flagged) > 0
    assert set(zip(got.subject_id, got.visit, pd.to_datetime(got.assessment_date), strict=True)) == set(
        zip(flagged.subject_id, flagged.avisit, pd.to_datetime(flagged.adt), strict=True))
    outside = [day - early if day < early else day - late
               for day, early, late in zip(got.study_day, got.earliest_day, got.latest_day, strict=True)]
    assert got.days_outside.tolist() == outside and all(d != 0 for d in outside)
    counts = report.counts[~report.counts.total].set_index(["site_id", "visit"]).visits
    assert counts.to_dict() == flagged.groupby(["site_id", "avisit"]).subject_id.nunique().to_dict()


# --------------------------------------------------------------------------- data quality
def distinct_warnings(store) -> pd.DataFrame:
    findings = store.query("SELECT f.*, u.domain FROM findings f JOIN uploads u USING (upload_id) "
                           "WHERE u.status = 'loaded' AND f.severity = 'warning'")
    return findings.drop_duplicates(["domain", "line", "column_name", "value", "rule", "message"])


def test_warnings_count_each_distinct_finding_once(study):
    got = monitoring.quality_warnings(study)
    assert len(got) == len(distinct_warnings(study)) > 0
    assert (got.status == "open").all()
    assert monitoring.headline(study).open_warnings == len(got)
    assert (got.site_id != "").all()  # every warning traced to its study row
    counts = monitoring.overview(study).warning_counts
    assert counts.open.sum() == len(got) and counts.corrected.sum() == 0


def test_a_re_uploaded_warning_counts_once_and_a_corrected_one_closes(tmp_path):
    store = new_store(tmp_path / "study.duckdb")
    seed(store)
    late = [("S01-001", "BASELINE", "2024-01-09"), ("S01-001", "WEEK_4", "2024-02-20")]  # day 41: window 21–35
    assert load(store, hair_count_rows(late), "hair_counts").warnings
    again = load(store, hair_count_rows([*late, ("S01-002", "BASELINE", "2024-01-10")]), "hair_counts")  # new bytes
    assert again.status == "loaded" and len(again.warnings) == 1
    assert store.scalar("SELECT count(*) FROM findings WHERE severity = 'warning'") == 2

    found = monitoring.quality_warnings(store)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row.site_id, row.subject_id, row.rule, row.status, row.times_reported) == ("S01", "S01-001", "visit_window", "open", 2)
    assert (row.first_upload, row.last_upload, row.value) == (2 + 1, 2 + 2, "2024-02-20")  # uploads 1-2 were subjects, randomization
    assert monitoring.headline(store).open_warnings == 1

    fixed = [("S01-001", "BASELINE", "2024-01-09"), ("S01-001", "WEEK_4", "2024-02-07"), ("S01-002", "BASELINE", "2024-01-10")]
    corrected = load(store, hair_count_rows(fixed), "hair_counts", reason="date transcribed wrongly")
    assert corrected.status == "loaded" and corrected.corrected == 1 and not corrected.warnings
    found = monitoring.quality_warnings(store)
    assert found.status.tolist() == ["corrected"]
    top = monitoring.headline(store)
    assert (top.open_warnings, top.corrected_warnings) == (0, 1)
    store.close()


def test_a_warning_stays_open_while_its_flagged_value_stays(tmp_path):
    """A correction of another column of the flagged row: the date is still outside its window."""
    store = new_store(tmp_path / "study.duckdb")
    seed(store)
    late = [("S01-001", "BASELINE", "2024-01-09"), ("S01-001", "WEEK_4", "2024-02-20")]
    load(store, hair_count_rows(late), "hair_counts")
    recount = hair_count_rows(late).replace(b",101,", b",111,")  # the week 4 count, not its date
    result = load(store, recount, "hair_counts", reason="recounted")
    assert result.status == "loaded" and result.corrected == 1 and len(result.warnings) == 1
    found = monitoring.quality_warnings(store)
    assert found.status.tolist() == ["open"] and found.times_reported.tolist() == [2]
    store.close()


def test_rejected_errors_are_counted_by_rule_once_per_distinct_error(tmp_path):
    store = new_store(tmp_path / "study.duckdb")
    seed(store)
    bad = hair_count_rows([("S01-001", "BASELINE", "2024-01-09"), ("S01-002", "BASELINE", "2024-01-10")])
    bad = bad.replace(b",100,", b",-5,").replace(b"S01-002,BASELINE", b"S01-999,BASELINE")
    for _ in range(2):  # the same rejected bytes twice: a rejected file is not remembered as loaded
        assert load(store, bad, "hair_counts").status == "rejected"
    errors = store.query("SELECT f.* FROM findings f JOIN uploads u USING (upload_id) "
                         "WHERE u.status = 'rejected' AND f.severity = 'error'")
    distinct = errors.drop_duplicates(["line", "column_name", "value", "rule", "message"])
    got = monitoring.rejected_errors(store).set_index("rule")
    assert got.errors.to_dict() == distinct.groupby("rule").size().to_dict()
    assert len(errors) == 2 * len(distinct) and (got.files == 1).all()
    assert monitoring.headline(store).rejected_errors == len(distinct)
    store.close()


def test_recent_uploads_are_the_latest_twenty_newest_first(scale):
    uploads = raw(scale, "uploads").sort_values("upload_id", ascending=False)
    got = monitoring.recent_uploads(scale)
    assert got.upload_id.tolist() == uploads.upload_id.head(20).tolist()
    assert got.file_name.tolist() == uploads.file_name.head(20).tolist()
    assert monitoring.recent_uploads(scale, 3).upload_id.tolist() == uploads.upload_id.head(3).tolist()


def test_an_empty_study_gives_zeros_not_errors(tmp_path):
    store = new_store(tmp_path / "study.duckdb")
    view = monitoring.overview(store)
    top = view.headline
    assert (top.screened, top.randomized, top.open_warnings, top.rejected_errors, top.data_cut) == (0, 0, 0, 0, None)
    assert top.target_enrolment == sum(s.target_enrolment for s in store.study.sites)
    for frame in (view.completion, view.missing, view.window.visits, view.warnings, view.curve.points):
        assert frame.empty
    store.close()
