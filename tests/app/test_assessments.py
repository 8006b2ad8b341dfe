"""The pull test and global assessment page: guidance on an empty database; on dhurat2013 the
positive shares, the Fisher tests and the responders equal the ARD's (14.2.3, 14.2.5), formatted with
the pack's formatters, with the paper's 40 of 50 investigator responders against none, and the
caption says pull-test percentages are of the subjects tested, the untested apart; on starace2019 (one arm) there is no test
between arms and the responders equal the ARD's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from helpers import APP, plotly_charts, plotly_numbers
from streamlit.testing.v1 import AppTest

from synthetic_data.scenarios import write_scenario
from trial.ingest.upload import upload_paths
from trial.reports.formats import fmt_count_pct, fmt_int, fmt_p, unbroken, visit_label
from trial.reports.view import ArdView
from trial.store import Store

PAGE = "views/assessments.py"


def study_of(db: Path):
    with Store.open(db) as store:
        return store.study


def tables_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [t.value.reset_index(drop=True) for t in at.table if column in t.value.columns]


def test_an_empty_database_shows_guidance(empty_app):
    at = empty_app(PAGE)
    assert any("Nothing to show yet" in block.value for block in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_subjects_without_assessments_are_told_what_is_missing(tmp_path, monkeypatch):
    files = write_scenario("dhurat2013", tmp_path / "files", seed=3)
    db = tmp_path / "early.duckdb"
    with Store.create(db, (tmp_path / "files" / "study.toml").read_text(), user="fixture") as store:
        first = [Path(f) for f in files if Path(f).stem in ("subjects", "randomization", "hair_counts")]
        assert len(first) == 3 and all(r.ok for r in upload_paths(store, first, user="fixture"))
    monkeypatch.setenv("TRIAL_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    info = [block.value for block in at.info]
    assert any(text.startswith("No pull tests yet") for text in info) and any(text.startswith("No global assessments yet") for text in info)
    assert not at.metric and not at.get("plotly_chart")


def test_the_pull_test_is_the_ards_14_2_3(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    study = study_of(dhurat_db)
    view = ArdView(ard_of(dhurat_db), "14.2.3")
    visit = study.primary_visit.code
    metrics = {m.label: m for m in at.metric}
    for arm in study.arms:
        get = lambda stat, arm=arm: view.get("PULL_POSITIVE", stat, group=arm.code, method="COUNT", visit=visit)
        assert metrics[arm.label].value == fmt_count_pct(get("count"), get("pct"))
    p = view.get("PULL_POSITIVE", "p_value", group="MINOX_MN-MINOX", method="FISHER", visit=visit)
    assert metrics[f"Fisher's exact test, {visit_label(visit)}"].value == fmt_p(p)
    [table] = tables_with(at, "Positive, n (% of tested)")
    arms = {name: a.code for a in study.arms for name in (a.label, unbroken(a.label))}  # a table binds "5\u00a0%", a chart keeps the label
    visits = {visit_label(v): v for v in study.visit_codes}
    assert len(table) == len(view.frame[(view.frame.stat == "count") & (view.frame.param == "PULL_POSITIVE")])
    for row in table.to_dict("records"):
        def get(stat, row=row):
            return view.get("PULL_POSITIVE", stat, group=arms[row["Arm"]], method="COUNT", visit=visits[row["Visit"]])

        assert row["Positive, n (% of tested)"] == fmt_count_pct(get("count"), get("pct"))
        assert row["Tested"] == fmt_int(get("tested")) and get("denominator") == get("tested")
        untested = view.get("PULL_NOT_TESTED", "count", group=arms[row["Arm"]], method="COUNT", visit=visits[row["Visit"]])
        assert row["Not tested, n (% of N)"].split(" ")[0] == fmt_int(untested)
    bars = plotly_charts(at)[0]
    for trace in bars["data"]:
        expected = [view.get("PULL_POSITIVE", "pct", group=arms[trace["name"]], method="COUNT", visit=visits[x]) for x in trace["x"]]
        np.testing.assert_allclose(plotly_numbers(trace["y"]), expected, rtol=1e-9)
    assert any("Percentages are of the subjects tested" in c.value and "never as negative" in c.value for c in at.caption)


def test_the_global_assessment_is_the_ards_14_2_5_with_the_papers_responders(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    study = study_of(dhurat_db)
    view = ArdView(ard_of(dhurat_db), "14.2.5")
    visit = study.primary_visit.code
    investigator, patient = tables_with(at, "Responders (+2 or +3), n (%)")
    for table, param in ((investigator, "GLOBAL_INVESTIGATOR"), (patient, "GLOBAL_PATIENT")):
        for arm in study.arms:
            def get(stat, arm=arm, param=param):
                return view.get(param, stat, group=arm.code, method="COUNT", category="RESPONDER", visit=visit)

            row = table.set_index("Arm").loc[unbroken(arm.label)]
            assert row["Responders (+2 or +3), n (%)"] == fmt_count_pct(get("count"), get("pct"))
            assert row["Assessed"] == fmt_int(get("assessed"))
    shown = investigator.set_index("Arm")["Responders (+2 or +3), n (%)"]
    assert shown["Minoxidil 5\u00a0% + microneedling"] == "40 (80.0)" and shown["Topical minoxidil 5\u00a0%"] == "0"  # Dhurat 2013
    p = view.get("GLOBAL_INVESTIGATOR", "p_value", group="MINOX_MN-MINOX", method="FISHER", category="RESPONDER", visit=visit)
    assert fmt_p(p) == "<0.001"
    [sentence] = [m.value for m in at.markdown if "investigator's assessment" in m.value]
    assert "0 of 50 with topical minoxidil 5 % and 40 of 50 (80.0 %) with minoxidil 5 % + microneedling" in sentence
    assert sentence.endswith("Fisher's exact test p < 0.001.")
    assert any("Percentages are of the subjects tested" in c.value and "never as negative" in c.value for c in at.caption)


def test_the_score_bars_are_the_ards_percentages(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    view = ArdView(ard_of(dhurat_db), "14.2.5")
    visit = study_of(dhurat_db).primary_visit.code
    investigator = plotly_charts(at)[1]
    plus_three = next(t for t in investigator["data"] if t["name"] == "+3")
    # y positions: the first arm (control) drawn at the top, so the arms come in reverse order
    expected = [view.get("GLOBAL_INVESTIGATOR", "pct", group=g, method="COUNT", category="score=+3", visit=visit) for g in ("MINOX_MN", "MINOX")]
    np.testing.assert_allclose(plotly_numbers(plus_three["x"]), expected, rtol=1e-9)
    minus_one = next(t for t in investigator["data"] if t["name"] == "−1")
    expected = [-view.get("GLOBAL_INVESTIGATOR", "pct", group=g, method="COUNT", category="score=-1", visit=visit) for g in ("MINOX_MN", "MINOX")]
    np.testing.assert_allclose(plotly_numbers(minus_one["x"]), expected, rtol=1e-9)


def test_a_single_arm_study_has_no_test_between_arms(single_arm_app, starace_db, ard_of):
    at = single_arm_app(PAGE)
    text = "\n".join([m.value for m in at.markdown] + [m.label for m in at.metric] + [c.value for c in at.caption])
    assert "Fisher" not in text
    study = study_of(starace_db)
    view = ArdView(ard_of(starace_db), "14.2.3")
    visit = study.primary_visit.code
    [metric] = at.metric
    assert metric.label == "Microneedling"
    assert metric.value == fmt_count_pct(view.get("PULL_POSITIVE", "count", group="MN", method="COUNT", visit=visit),
                                         view.get("PULL_POSITIVE", "pct", group="MN", method="COUNT", visit=visit)) == "0"  # negative for all
    global_view = ArdView(ard_of(starace_db), "14.2.5")
    for table, param in zip(tables_with(at, "Responders (+2 or +3), n (%)"), ("GLOBAL_INVESTIGATOR", "GLOBAL_PATIENT"), strict=True):
        get = lambda stat, param=param: global_view.get(param, stat, group="MN", method="COUNT", category="RESPONDER", visit=visit)
        assert table.loc[0, "Responders (+2 or +3), n (%)"] == fmt_count_pct(get("count"), get("pct"))
