"""The efficacy screens' core (``trial.readers.efficacy``) on real DuckDB files of the calibrated scenarios:
the individual values equal ADHC filtered by pandas; the summaries carry the ARD's numbers, formatted
with the pack's formatters; subgroups that repeat the whole region are left out, and only those."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import scenario_store

from trial.analysis.ard import compute_ard
from trial.analysis.datasets import analysis_dataset
from trial.readers.efficacy import assessments, summaries
from trial.readers.efficacy.rows import individual_values
from trial.reports.formats import (
    fmt_ci,
    fmt_count_pct,
    fmt_int,
    fmt_mean_sd,
    fmt_median_range,
    fmt_p,
    unbroken,
    visit_label,
)
from trial.reports.view import ArdView


@pytest.fixture(scope="module", params=["dhurat2013", "starace2019"])
def loaded(request, tmp_path_factory):
    store = scenario_store(tmp_path_factory.mktemp(request.param), request.param, seed=3)
    yield request.param, store, compute_ard(store)
    store.close()


def test_individual_values_are_adhc_at_the_visit(loaded):
    _, store, _ = loaded
    e = store.study.endpoint
    for param in ("HAIR_COUNT", "DENSITY"):
        got = individual_values(store, param, e.region, e.visit)
        adhc = analysis_dataset(store, "adhc")
        expected = adhc[(adhc.param == param) & (adhc.region == e.region) & (adhc.avisit == e.visit) & adhc.chg.notna()]
        assert len(got) == len(expected) > 0
        merged = got.merge(expected, on="subject_id", suffixes=("", "_adhc"))
        assert len(merged) == len(got)
        for column in ("aval", "base", "chg", "pchg"):
            pd.testing.assert_series_equal(merged[column], merged[f"{column}_adhc"], check_names=False)
        assert (merged.arm == merged.arm_adhc).all()


def test_individual_values_of_an_unknown_region_are_empty(loaded):
    _, store, _ = loaded
    assert individual_values(store, "HAIR_COUNT", "NOWHERE", store.study.endpoint.visit).empty


def test_the_by_visit_table_formats_the_ards_14_2_2(loaded):
    _, store, ard = loaded
    study, view = store.study, ArdView(ard, "14.2.2")
    labels = {unbroken(a.label): a.code for a in study.arms}
    visits = {visit_label(v): v for v in study.visit_codes}
    for param in summaries.parameters(ard):
        for measure in ("chg", "pchg"):
            region = summaries.regions(ard, study, param)[-1]
            table = summaries.by_visit_table(ard, study, param=param, measure=measure, region=region)
            assert len(table) == len(view.frame[(view.frame.param == f"{param}_{measure.upper()}") & (view.frame.category == region)
                                                & (view.frame.stat == "n")])
            for row in table.itertuples(index=False):
                arm = labels[row.Arm] if "Arm" in table.columns else study.arms[0].code
                where = {"group": arm, "category": region, "visit": visits[row.Visit]}
                statistic = f"{param}_{measure.upper()}"
                def get(stat, statistic=statistic, where=where):
                    return view.get(statistic, stat, **where)

                assert row.n == fmt_int(get("n"))
                assert row[-2] == fmt_mean_sd(get("mean"), get("sd"), 1)
                assert row[-1] == fmt_ci(get("mean"), get("ci_lower"), get("ci_upper"), 1)


def test_the_primary_result_is_the_ards_14_2_1(loaded):
    scenario, store, ard = loaded
    study, view, e = store.study, ArdView(ard, "14.2.1"), store.study.endpoint
    primary = summaries.primary_result(ard, study)
    assert primary.available
    where = {"category": e.region, "visit": e.visit}
    param = f"{e.parameter}_{e.measure.upper()}"
    d = e.decimals
    if scenario == "dhurat2013":
        assert primary.has_contrast
        diff, low, high, p = (view.get(param, s, group="MINOX_MN-MINOX", method="ANCOVA", **where)
                              for s in ("diff", "ci_lower", "ci_upper", "p_value"))
        assert f"the difference was {diff:.{d}f} (95 % CI {low:.{d}f} to {high:.{d}f})" in primary.sentence
        assert "22.2 with topical minoxidil 5 % and 91.4 with minoxidil 5 % + microneedling" in primary.sentence  # the paper
        assert fmt_ci(diff, low, high, d) in primary.table.iloc[:, -1].tolist()  # the pack's cell
        metrics = {m.label: m for m in primary.metrics}
        assert metrics["p-value (ANCOVA)"].value == fmt_p(p)
    else:
        assert not primary.has_contrast
        assert "ANCOVA" not in primary.sentence and not any("Difference" in m.label for m in primary.metrics)
        median = view.get(param, "median", group="MN", **where)
        assert f"{median:.2f} %" in primary.sentence and f"{median:.2f}" == "36.64"  # the paper's frontal median


def test_subgroups_are_the_ards_14_2_4_without_repeats_of_the_whole(loaded):
    scenario, store, ard = loaded
    study, view = store.study, ArdView(ard, "14.2.4")
    rows = summaries.subgroup_rows(ard, study)
    expected = view.frame[(view.frame.param == "DENSITY_PCHG") & (view.frame.stat == "n")]
    assert len(rows) == len(expected)
    for row in rows.itertuples(index=False):
        for stat in ("n", "mean", "median", "q1", "q3"):
            assert getattr(row, stat) == view.get("DENSITY_PCHG", stat, group=row.arm, category=row.category, visit=study.primary_visit.code)
    kept, repeats = summaries.without_repeats(rows)
    if scenario == "dhurat2013":  # men with AGA only: every subgroup is the whole
        assert set(kept.subgroup) == {"All subjects"} and repeats == ["AGA", "Men", "AGA men"]
    else:
        assert len(kept) == len(rows) and repeats == []
        table = summaries.subgroup_table(kept, study)
        frontal = table[table.Region == "Frontal"].set_index("Subgroup")
        vertex = table[table.Region == "Vertex"].set_index("Subgroup")
        for subgroup, published in (("All subjects", ("36.64", "35.10")), ("TE", ("52.40", "51.97")),
                                    ("AGA men", ("25.16", "17.45")), ("AGA women", ("32.35", "35.88"))):
            assert frontal.loc[subgroup, "Median (Q1, Q3)"].startswith(published[0] + " (")
            assert vertex.loc[subgroup, "Median (Q1, Q3)"].startswith(published[1] + " (")
        first = kept.iloc[0]
        assert table.iloc[0]["Median (Q1, Q3)"] == fmt_median_range(first["median"], first.q1, first.q3, 2)


def test_pull_test_and_global_assessment_are_the_ards(loaded):
    scenario, store, ard = loaded
    study = store.study
    pull = assessments.pull_test_rows(ard, study)
    table = assessments.pull_test_table(pull, study)
    view = ArdView(ard, "14.2.3")
    for row, shown in zip(pull.itertuples(index=False), table.itertuples(index=False), strict=True):
        count = view.get("PULL_POSITIVE", "count", group=row.arm, method="COUNT", visit=row.visit)
        pct = view.get("PULL_POSITIVE", "pct", group=row.arm, method="COUNT", visit=row.visit)
        assert shown[-3] == fmt_count_pct(count, pct)
    comparisons = assessments.pull_test_comparisons(ard, study)
    assert len(comparisons) == (1 if scenario == "dhurat2013" else 0)
    responders = assessments.responder_rows(ard, study, "GLOBAL_INVESTIGATOR")
    shown = assessments.responder_table(responders).set_index("Arm")["Responders (+2 or +3), n (%)"]
    if scenario == "dhurat2013":  # the paper: 40 of 50 against none
        assert shown["Minoxidil 5\u00a0% + microneedling"] == "40 (80.0)" and shown["Topical minoxidil 5\u00a0%"] == "0"
        sentence = assessments.responder_sentence(responders, assessments.responder_comparisons(ard, study, "GLOBAL_INVESTIGATOR"),
                                                  study, "GLOBAL_INVESTIGATOR")
        assert "0 of 50 with topical minoxidil 5 % and 40 of 50 (80.0 %) with minoxidil 5 % + microneedling" in sentence
        assert "Fisher's exact test p < 0.001" in sentence
    scores = assessments.score_rows(ard, study, "GLOBAL_INVESTIGATOR")
    assert len(scores) == 7 * len(study.arms)
    assert scores.groupby("arm")["count"].sum().to_dict() == {
        arm: ArdView(ard, "14.2.5").get("GLOBAL_INVESTIGATOR", "assessed", group=arm, method="COUNT", category="RESPONDER",
                                        visit=study.primary_visit.code) for arm in study.arm_codes}
