"""The efficacy page: guidance on an empty database and on one without hair counts; on dhurat2013 the
ANCOVA difference, its CI and p, the means by arm (the paper's 91.4 and 22.2), the by-visit table,
the individual changes and the subgroups equal the ARD's, formatted with the pack's formatters; the
controls switch parameter and measure; on starace2019 (one arm) no contrast is shown and the
subgroup % changes equal ARD 14.2.4, with the paper's medians."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import APP, plotly_charts, plotly_numbers
from streamlit.testing.v1 import AppTest

from synthetic_data.scenarios import write_scenario
from trial.ingest.upload import upload_paths
from trial.reports.formats import (
    fmt_ci,
    fmt_int,
    fmt_mean_sd,
    fmt_median_range,
    fmt_num,
    fmt_p,
    unbroken,
    visit_label,
)
from trial.reports.view import ArdView
from trial.store import Store

PAGE = "views/efficacy.py"
PUBLISHED_STARACE = {("Frontal", "All subjects"): "36.64", ("Vertex", "All subjects"): "35.10", ("Frontal", "TE"): "52.40",
                     ("Vertex", "TE"): "51.97", ("Frontal", "AGA men"): "25.16", ("Vertex", "AGA men"): "17.45",
                     ("Frontal", "AGA women"): "32.35", ("Vertex", "AGA women"): "35.88"}


def study_of(db: Path):
    with Store.open(db) as store:
        return store.study


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has ``column``."""
    frames = [t.value for t in at.table if column in t.value.columns]
    assert len(frames) == 1, [list(t.value.columns) for t in at.table]
    return frames[0].reset_index(drop=True)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [m.label for m in at.metric]
    parts += [t.value.to_string() for t in at.table] + [s.value for s in at.subheader]
    return "\n".join(parts)


def test_an_empty_database_shows_guidance(empty_app):
    at = empty_app(PAGE)
    assert any("Nothing to show yet" in block.value for block in at.info)
    assert not at.metric and not at.get("plotly_chart")


def early_study(folder: Path, monkeypatch, *, baseline_counts: bool) -> AppTest:
    """The app on a dhurat2013 study with subjects and randomization loaded and, when asked, the
    baseline hair counts (nothing after baseline): the state of a study in its first weeks."""
    files = write_scenario("dhurat2013", folder / "files", seed=3)
    db = folder / "early.duckdb"
    with Store.create(db, (folder / "files" / "study.toml").read_text(), user="fixture") as store:
        first = [Path(f) for f in files if Path(f).stem in ("subjects", "randomization")]
        assert len(first) == 2 and all(r.ok for r in upload_paths(store, first, user="fixture"))
        if baseline_counts:
            counts = pd.read_csv(folder / "files" / "hair_counts.csv", dtype=str)
            counts[counts.visit == "BASELINE"].to_csv(folder / "hair_counts.csv", index=False)
            assert all(r.ok for r in upload_paths(store, [folder / "hair_counts.csv"], user="fixture"))
    monkeypatch.setenv("TRIAL_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_subjects_without_hair_counts_are_told_what_is_missing(tmp_path, monkeypatch):
    at = early_study(tmp_path, monkeypatch, baseline_counts=False)
    assert any("No hair counts yet" in block.value for block in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_baseline_counts_alone_say_there_is_nothing_to_compare_yet(tmp_path, monkeypatch):
    at = early_study(tmp_path, monkeypatch, baseline_counts=True)
    info = [block.value for block in at.info]
    assert any("No subject has a value at Week 12 and at baseline yet" in text for text in info), info
    assert any("No hair count after baseline" in text for text in info), info
    assert not at.metric and not at.get("plotly_chart")


def test_the_primary_analysis_shows_the_ards_ancova(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    e = study_of(dhurat_db).endpoint
    view, d = ArdView(ard_of(dhurat_db), "14.2.1"), e.decimals
    param = f"{e.parameter}_{e.measure.upper()}"

    def get(stat, group, method="ANCOVA"):
        return view.get(param, stat, group=group, method=method, category=e.region, visit=e.visit)

    diff, low, high, p = (get(s, "MINOX_MN-MINOX") for s in ("diff", "ci_lower", "ci_upper", "p_value"))
    metrics = {m.label: m for m in at.metric}
    assert metrics["Difference (ANCOVA)"].value == fmt_num(diff, d)
    assert metrics["Difference (ANCOVA)"].delta == f"95 % CI {fmt_num(low, d)} to {fmt_num(high, d)}"
    assert metrics["p-value (ANCOVA)"].value == fmt_p(p) == "<0.001"
    [sentence] = [m.value for m in at.markdown if "ANCOVA" in m.value]
    assert f"Adjusted for baseline (ANCOVA), the difference was {fmt_num(diff, d)} (95 % CI {fmt_num(low, d)} to {fmt_num(high, d)}), p < 0.001." in sentence
    table = table_with(at, "Statistic").set_index("Statistic")
    test_column = "Minoxidil 5 % + microneedling (N=50)"
    assert table.loc["Difference vs Topical minoxidil 5 % (95 % CI)", test_column] == fmt_ci(diff, low, high, d)
    assert table.loc["LS mean (SE)", test_column] == fmt_mean_sd(get("lsmean", "MINOX_MN"), get("se", "MINOX_MN"), d)
    assert table.loc["LS mean (SE)", "Topical minoxidil 5 % (N=50)"] == fmt_mean_sd(get("lsmean", "MINOX"), get("se", "MINOX"), d)
    welch = [get(s, "MINOX_MN-MINOX", "WELCH_T") for s in ("diff", "ci_lower", "ci_upper")]
    assert table.loc["Welch t: difference (95 % CI)", test_column] == fmt_ci(*welch, d)
    assert table.loc["Mann–Whitney U: p-value", test_column] == fmt_p(get("p_value", "MINOX_MN-MINOX", "MANN_WHITNEY"))


def test_the_published_week_12_changes_appear(loaded_app):
    at = loaded_app(PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Minoxidil 5 % + microneedling"] == "91.4" and metrics["Topical minoxidil 5 %"] == "22.2"  # Dhurat 2013
    assert list(metrics)[:2] == ["Topical minoxidil 5 %", "Minoxidil 5 % + microneedling"]  # control first, as in the table
    assert any("was 22.2 with topical minoxidil 5 % and 91.4 with minoxidil 5 % + microneedling" in m.value for m in at.markdown)


def test_the_by_visit_table_and_chart_are_the_ards_14_2_2(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    study = study_of(dhurat_db)
    e = study.endpoint
    view = ArdView(ard_of(dhurat_db), "14.2.2")
    param = f"{e.parameter}_{e.measure.upper()}"
    arms = {name: a.code for a in study.arms for name in (a.label, unbroken(a.label))}  # a table binds "5\u00a0%", a chart keeps the label
    visits = {visit_label(v): v for v in study.visit_codes}
    table = table_with(at, "Mean (95 % CI)")
    assert len(table) == 8  # four visits after baseline, two arms
    for row in table.to_dict("records"):
        def get(stat, row=row):
            return view.get(param, stat, group=arms[row["Arm"]], category=e.region, visit=visits[row["Visit"]])

        assert row["n"] == fmt_int(get("n"))
        assert row["Mean (SD)"] == fmt_mean_sd(get("mean"), get("sd"))
        assert row["Mean (95 % CI)"] == fmt_ci(get("mean"), get("ci_lower"), get("ci_upper"))
    by_visit = plotly_charts(at)[0]
    for trace in by_visit["data"]:
        code = arms[trace["name"]]
        expected = [view.get(param, "mean", group=code, category=e.region, visit=visits[x]) for x in trace["x"]]
        np.testing.assert_allclose(plotly_numbers(trace["y"]), expected, rtol=1e-9)


def test_the_individual_changes_are_each_subjects(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    study = study_of(dhurat_db)
    e = study.endpoint
    view = ArdView(ard_of(dhurat_db), "14.2.1")
    waterfall = plotly_charts(at)[1]
    arms = {a.label: a.code for a in study.arms}
    for trace in waterfall["data"]:
        values = plotly_numbers(trace["y"])
        code = arms[trace["name"]]
        where = {"category": e.region, "visit": e.visit, "group": code}
        assert len(values) == view.get(f"{e.parameter}_{e.measure.upper()}", "n", **where)  # one bar per subject
        assert values.mean() == pytest.approx(view.get(f"{e.parameter}_{e.measure.upper()}", "mean", **where), rel=1e-9)
    assert len(at.get("download_button")) == 1


def test_the_controls_switch_parameter_and_measure(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    assert at.segmented_control(key="efficacy_param").value == "HAIR_COUNT"  # the primary endpoint first
    at.segmented_control(key="efficacy_param").set_value("DENSITY").run()
    at.segmented_control(key="efficacy_measure").set_value("pchg").run()
    assert not at.exception
    study = study_of(dhurat_db)
    view = ArdView(ard_of(dhurat_db), "14.2.2")
    row = table_with(at, "Mean (95 % CI)").iloc[-1]
    arm = {unbroken(a.label): a.code for a in study.arms}[row["Arm"]]
    visit = {visit_label(v): v for v in study.visit_codes}[row["Visit"]]
    def get(stat):
        return view.get("DENSITY_PCHG", stat, group=arm, category="TARGET", visit=visit)

    assert row["Mean (SD)"] == fmt_mean_sd(get("mean"), get("sd"))
    titles = [c["layout"]["title"]["text"] for c in plotly_charts(at)]
    assert titles[0].startswith("% change from baseline in density") and titles[1].startswith("Each subject's % change")


def test_the_subgroups_are_the_ards_14_2_4(loaded_app, dhurat_db, ard_of):
    at = loaded_app(PAGE)
    study = study_of(dhurat_db)
    view = ArdView(ard_of(dhurat_db), "14.2.4")
    visit = study.primary_visit.code
    table = table_with(at, "Paired t p")
    arms = {name: a.code for a in study.arms for name in (a.label, unbroken(a.label))}  # a table binds "5\u00a0%", a chart keeps the label
    assert set(table["Subgroup"]) == {"All subjects"}  # every subject is a man with AGA: the rest repeat it
    for row in table.to_dict("records"):
        def get(stat, method="DESCRIPTIVE", param="DENSITY_PCHG", row=row):
            return view.get(param, stat, group=arms[row["Arm"]], method=method, category="region=TARGET", visit=visit)

        assert row["Median (Q1, Q3)"] == fmt_median_range(get("median"), get("q1"), get("q3"), 2)
        assert row["Mean (SD)"] == fmt_mean_sd(get("mean"), get("sd"), 2)
        assert row["Paired t p"] == fmt_p(get("p_value", "PAIRED_T", "DENSITY"))
    assert any("AGA, Men, AGA men" in c.value for c in at.caption)


def test_a_single_arm_study_shows_no_contrast(single_arm_app, starace_db, ard_of):
    at = single_arm_app(PAGE)
    text = page_text(at)
    for contrast in ("ANCOVA", "Difference", "Welch", "Mann–Whitney", "Fisher"):
        assert contrast not in text, contrast
    e = study_of(starace_db).endpoint
    view = ArdView(ard_of(starace_db), "14.2.1")
    where = {"group": "MN", "category": e.region, "visit": e.visit}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Median % change"] == f"{fmt_num(view.get('DENSITY_PCHG', 'median', **where), 2)} %" == "36.64 %"
    assert metrics["Paired t test p"] == fmt_p(view.get("DENSITY", "p_value", method="PAIRED_T", **where))


def test_single_arm_subgroups_are_the_ards_14_2_4_with_the_papers_medians(single_arm_app, starace_db, ard_of):
    at = single_arm_app(PAGE)
    ard = ard_of(starace_db)
    view = ArdView(ard, "14.2.4")
    visit = study_of(starace_db).primary_visit.code
    table = table_with(at, "Paired t p")
    categories = view.values("category", param="DENSITY_PCHG")
    assert len(table) == len(categories) == 16  # two regions × (all, 2 diagnoses, 2 sexes, 3 diagnosis-sex groups)

    def expected(category):
        def get(stat, method="DESCRIPTIVE", param="DENSITY_PCHG"):
            return view.get(param, stat, group="MN", method=method, category=category, visit=visit)

        region = category.split(";")[0].removeprefix("region=").capitalize()
        return (region, fmt_int(get("n")), fmt_median_range(get("median"), get("q1"), get("q3"), 2),
                fmt_mean_sd(get("mean"), get("sd"), 2), fmt_p(get("p_value", "PAIRED_T", "DENSITY")))

    shown = sorted(map(tuple, table[["Region", "n", "Median (Q1, Q3)", "Mean (SD)", "Paired t p"]].to_numpy().tolist()))
    assert shown == sorted(expected(c) for c in categories)
    by_group = table.set_index(["Region", "Subgroup"])["Median (Q1, Q3)"]
    for key, median in PUBLISHED_STARACE.items():
        assert by_group[key].startswith(f"{median} ("), (key, by_group[key])
    at.segmented_control(key="efficacy_subgroup_centre").set_value("median").run()
    forest = plotly_charts(at)[0]
    assert "median" in forest["layout"]["title"]["text"]
    assert float(plotly_numbers(forest["data"][0]["x"])[0]) == pytest.approx(36.64, abs=0.005)  # Frontal · All subjects, the first row
