"""The study overview page: guidance on an empty database; on the loaded scenarios the metrics equal
the ARD's table 14.1.1 (ITT, TOTAL) and the tables and charts show counts that pandas finds in the
raw study tables; the site filter restricts them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import APP, scenario_store
from streamlit.testing.v1 import AppTest

from trial.analysis.datasets import analysis_dataset
from trial.reports.formats import fmt_num, visit_label
from trial.store import Store

PAGE = "views/overview.py"
DISPOSITION = [("Screened", "SCREENED"), ("Screen failures", "SCREEN_FAILURE"), ("Randomized", "RANDOMIZED"),
               ("Completed", "COMPLETED"), ("Discontinued", "DISCONTINUED")]


def ard_14_1_1(ard: pd.DataFrame, stat: str = "count") -> dict[str, float]:
    rows = ard[(ard.table_id == "14.1.1") & (ard.population == "ITT") & (ard.group == "TOTAL") & (ard.stat == stat)
               & (ard.param != "DISCONTINUED_REASON")]
    return dict(zip(rows.param, rows.value, strict=True))


def shown_metrics(at: AppTest) -> dict:
    return {m.label: m for m in at.metric}


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has ``column``."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.dataframe]
    return frames[0]


def charts(at: AppTest) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def raw(db, sql: str) -> pd.DataFrame:
    with Store.open(db) as store:  # read-write, as the app opens it (one configuration per file)
        return store.query(sql)


def distinct_warnings(db) -> int:
    findings = raw(db, "SELECT f.*, u.domain FROM findings f JOIN uploads u USING (upload_id) "
                       "WHERE u.status = 'loaded' AND f.severity = 'warning'")
    return len(findings.drop_duplicates(["domain", "line", "column_name", "value", "rule", "message"]))


def test_an_empty_database_shows_guidance(empty_app):
    at = empty_app(PAGE)
    assert any("Nothing to show yet" in block.value for block in at.info)
    assert not at.metric and not at.get("plotly_chart")


@pytest.mark.parametrize("scenario", ["loaded_app", "single_arm_app"])
def test_the_metrics_equal_table_14_1_1_of_the_ard(request, scenario, ard_of):
    db = request.getfixturevalue("dhurat_db" if scenario == "loaded_app" else "starace_db")
    count, pct = ard_14_1_1(ard_of(db)), ard_14_1_1(ard_of(db), "pct")
    at = request.getfixturevalue(scenario)(PAGE)
    metrics = shown_metrics(at)
    for label, param in DISPOSITION:
        assert metrics[label].value == f"{int(count[param]):,}", label
    assert metrics["Completed"].delta == f"{fmt_num(pct['COMPLETED'])} %"
    assert metrics["Discontinued"].delta == f"{fmt_num(pct['DISCONTINUED'])} %"
    assert metrics["Open warnings"].value == f"{distinct_warnings(db):,}"
    progress = frame_with(at, "randomized_pct_of_target")
    if progress.total.any():
        total = progress[progress.total].iloc[0]
    else:  # one site: its row is the total (no "All sites" row repeating it)
        assert len(progress) == 1
        total = progress.iloc[0]
    assert [int(total[c]) for c in ("screened", "screen_failures", "randomized")] == [
        int(count[p]) for p in ("SCREENED", "SCREEN_FAILURE", "RANDOMIZED")]


def test_the_page_states_the_data_cut_and_the_sites_shown(loaded_app, dhurat_db):
    cut = raw(dhurat_db, "SELECT greatest((SELECT max(assessment_date) FROM hair_counts), "
                         "(SELECT max(status_date) FROM disposition), (SELECT max(session_date) FROM procedures), "
                         "(SELECT max(onset_date) FROM adverse_events), (SELECT max(resolution_date) FROM adverse_events)) AS cut")
    at = loaded_app(PAGE)
    caption = next(c.value for c in at.caption if "data cut" in c.value)
    assert f"data cut **{cut.cut.iloc[0].date().isoformat()}**" in caption and "all sites" in caption
    assert [t.label for t in at.tabs] == ["Enrolment", "Visit completion", "Out of window", "Missing assessments",
                                          "Data quality", "Recent uploads"]


def test_the_lists_and_charts_hold_the_study_s_counts(loaded_app, dhurat_db):
    at = loaded_app(PAGE)
    # recent uploads: the latest 20, newest first
    uploads = raw(dhurat_db, "SELECT upload_id, file_name FROM uploads ORDER BY upload_id DESC LIMIT 20")
    shown = frame_with(at, "uploaded_at_utc")
    assert shown.file_name.tolist() == uploads.file_name.tolist()
    # data quality: the open warnings, each distinct finding once, with a download
    assert len(frame_with(at, "times_reported")) == distinct_warnings(dhurat_db)
    assert any(b.label == "Download these findings as CSV" for b in at.get("download_button"))
    # out-of-window visits: ADHC's window flag
    with Store.open(dhurat_db) as store:
        adhc = analysis_dataset(store, "adhc")
    flagged = adhc[(adhc.param == "HAIR_COUNT") & ~adhc.winfl.astype(bool)][["subject_id", "avisit", "adt"]].drop_duplicates()
    assert len(frame_with(at, "days_outside")) == len(flagged) > 0
    # the completion matrix: at baseline every randomized subject is expected; completed = those with a hair count
    baseline = raw(dhurat_db, "SELECT count(DISTINCT subject_id) AS n FROM hair_counts WHERE visit = 'BASELINE'").n.iloc[0]
    randomized = raw(dhurat_db, "SELECT count(*) AS n FROM randomization").n.iloc[0]
    heatmap = next(trace for spec in charts(at) for trace in spec["data"] if trace["type"] == "heatmap")
    assert heatmap["x"][0] == "Baseline" and heatmap["text"][0][0] == f"{baseline}/{randomized}"
    titles = [spec["layout"]["title"]["text"] for spec in charts(at)]
    assert titles == ["Cumulative randomized by site", "Screening by site, against target", "Visits completed / expected",
                      "Out-of-window visits"]


def test_a_visit_filter_narrows_the_out_of_window_list(loaded_app):
    at = loaded_app(PAGE)
    everything = frame_with(at, "days_outside")
    visit = everything.visit.iloc[0]  # shown as its label
    code = next(c for c in ("BASELINE", "WEEK_4", "WEEK_8", "WEEK_12", "WEEK_24") if visit_label(c) == visit)
    at.multiselect(key="window_visits").set_value([code])
    at.run()
    narrowed = frame_with(at, "days_outside")
    assert len(narrowed) == int((everything.visit == visit).sum()) < len(everything)


# --------------------------------------------------------------------------- several sites
@pytest.fixture(scope="module")
def scale_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    scenario_store(folder, "scale", seed=7, subjects=600, user="fixture").close()
    return folder / "study.duckdb"


def test_the_site_filter_restricts_the_metrics(scale_db, monkeypatch, ard_of):
    monkeypatch.setenv("TRIAL_DB", str(scale_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    count = ard_14_1_1(ard_of(scale_db))
    assert shown_metrics(at)["Randomized"].value == f"{int(count['RANDOMIZED']):,}"
    assert at.multiselect(key="overview_sites").options == ["S01 · Site 1", "S02 · Site 2", "S03 · Site 3"]

    at.multiselect(key="overview_sites").set_value(["S02"])
    at.run()
    assert not at.exception
    subjects = raw(scale_db, "SELECT s.subject_id, s.eligible, r.subject_id IS NOT NULL AS randomized, d.status "
                             "FROM subjects s LEFT JOIN randomization r USING (subject_id) "
                             "LEFT JOIN disposition d USING (subject_id) WHERE s.site_id = 'S02'")
    metrics = shown_metrics(at)
    assert metrics["Screened"].value == f"{len(subjects):,}"
    assert metrics["Screen failures"].value == f"{int((subjects.eligible != 'Y').sum()):,}"
    assert metrics["Randomized"].value == f"{int(subjects.randomized.sum()):,}"
    assert metrics["Completed"].value == f"{int((subjects.status == 'COMPLETED').sum()):,}"
    assert metrics["Discontinued"].value == f"{int((subjects.status == 'DISCONTINUED').sum()):,}"
    assert "1 of 3 sites" in next(c.value for c in at.caption if "data cut" in c.value)
    assert set(frame_with(at, "days_outside").site_id) <= {"S02"}


# --------------------------------------------------------------------------- a site user
def test_a_site_user_is_told_which_site_the_page_shows_never_all_sites(tmp_path, monkeypatch):
    """The defect: S01's staff read "Showing all sites" while the page held S01 only."""
    from helpers import TEAM_PASSWORD, signed_in_app, team_store

    from trial.governance.users import sign_in, start_session

    with team_store(tmp_path) as store:
        tokens = {who: start_session(store, sign_in(store, who, TEAM_PASSWORD)) for who in ("sam", "mona")}
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))

    def scope_caption(who: str, sites: list[str] | None = None) -> str:
        at = signed_in_app(tokens[who], PAGE)
        if sites is not None:
            at.multiselect(key="overview_sites").set_value(sites).run()
        assert not at.exception, [e.message for e in at.exception]
        return next(c.value for c in at.caption if c.value.startswith("Showing"))

    mine = scope_caption("sam")
    assert mine.startswith("Showing **site S01**, the site your account sees") and "all sites" not in mine
    assert scope_caption("sam", ["S01"]).startswith("Showing **site S01**, the site your account sees")
    assert scope_caption("mona").startswith("Showing **all sites**")  # a monitor sees every site
    # nor does the site table offer S01's staff an "All sites" row (it totalled their one site)
    sites_table = frame_with(signed_in_app(tokens["sam"], PAGE), "target_enrolment")
    assert sites_table.site_id.tolist() == ["S01"]
    assert frame_with(signed_in_app(tokens["mona"], PAGE), "target_enrolment").site_id.tolist()[0] == "All sites"
    assert scope_caption("mona", ["S02"]).startswith("Showing **1 of 2 sites**")
