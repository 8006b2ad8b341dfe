"""Every ARD statistic against an independent computation on the same rows.

Rows are selected here with plain SQL on the study tables, and the statistics recomputed with
pandas, SciPy and statsmodels; agreement to 1e-6 relative. Data sets: dhurat2013, kumar2018 (its
arms lose subjects before week 12), scale (dropouts at every visit, visits outside windows) and the
single-arm starace2019.
"""

import math

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import ard_value, scenario_store
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from trial.analysis.ard import compute_ard

PARALLEL = [("dhurat2013", 1, None), ("kumar2018", 2, None), ("scale", 3, 300)]


def _study(tmp_path_factory, scenario, seed, subjects):
    return scenario_store(tmp_path_factory.mktemp(scenario), scenario, seed=seed, subjects=subjects)


@pytest.fixture(scope="module", params=PARALLEL, ids=[p[0] for p in PARALLEL])
def parallel(request, tmp_path_factory):
    store = _study(tmp_path_factory, *request.param)
    yield store, compute_ard(store)
    store.close()


@pytest.fixture(scope="module")
def single_arm(tmp_path_factory):
    store = _study(tmp_path_factory, "starace2019", 4, None)
    yield store, compute_ard(store)
    store.close()


def close(a, b):
    assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12), (a, b)


def change_at_primary(store):
    """Subjects with the primary visit: change from baseline in the target region, independently."""
    return store.query(
        """
        SELECT r.arm, b.hair_count AS base, w.hair_count - b.hair_count AS chg
        FROM hair_counts AS b
        JOIN hair_counts AS w ON w.subject_id = b.subject_id AND w.region = b.region AND w.visit = 'WEEK_12'
        JOIN randomization AS r ON r.subject_id = b.subject_id
        WHERE b.visit = 'BASELINE' AND b.region = 'TARGET'
        """
    )


def test_primary_endpoint_descriptives(parallel):
    store, ard = parallel
    data = change_at_primary(store)
    for arm, group in data.groupby("arm"):
        where = {"table_id": "14.2.1", "group": arm, "method": "DESCRIPTIVE"}
        close(ard_value(ard, stat="n", **where), len(group))
        close(ard_value(ard, stat="mean", **where), group.chg.mean())
        close(ard_value(ard, stat="sd", **where), group.chg.std())
        close(ard_value(ard, stat="median", **where), group.chg.median())
        close(ard_value(ard, stat="min", **where), group.chg.min())
        close(ard_value(ard, stat="max", **where), group.chg.max())
        close(ard_value(ard, stat="q1", **where), group.chg.quantile(0.25))
        low, high = stats.t.interval(0.95, len(group) - 1, loc=group.chg.mean(), scale=stats.sem(group.chg))
        close(ard_value(ard, stat="ci_lower", **where), low)
        close(ard_value(ard, stat="ci_upper", **where), high)


def test_primary_endpoint_ancova_equals_statsmodels(parallel):
    store, ard = parallel
    data = change_at_primary(store)
    fit = smf.ols("chg ~ C(arm, Treatment('MINOX')) + base", data=data).fit()
    term = "C(arm, Treatment('MINOX'))[T.MINOX_MN]"
    where = {"table_id": "14.2.1", "group": "MINOX_MN-MINOX", "method": "ANCOVA"}
    close(ard_value(ard, stat="diff", **where), fit.params[term])
    close(ard_value(ard, stat="se", **where), fit.bse[term])
    close(ard_value(ard, stat="ci_lower", **where), fit.conf_int().loc[term, 0])
    close(ard_value(ard, stat="ci_upper", **where), fit.conf_int().loc[term, 1])
    close(ard_value(ard, stat="p_value", **where), fit.pvalues[term])
    at_mean = pd.DataFrame({"arm": ["MINOX", "MINOX_MN"], "base": data.base.mean()})
    predicted = fit.get_prediction(at_mean).summary_frame()
    for i, arm in enumerate(["MINOX", "MINOX_MN"]):
        close(ard_value(ard, table_id="14.2.1", group=arm, method="ANCOVA", stat="lsmean"), predicted["mean"][i])
        close(ard_value(ard, table_id="14.2.1", group=arm, method="ANCOVA", stat="se"), predicted["mean_se"][i])


def test_primary_endpoint_welch_and_mann_whitney_equal_scipy(parallel):
    store, ard = parallel
    data = change_at_primary(store)
    test, control = data[data.arm == "MINOX_MN"].chg, data[data.arm == "MINOX"].chg
    welch = stats.ttest_ind(test, control, equal_var=False)
    interval = welch.confidence_interval()
    where = {"table_id": "14.2.1", "group": "MINOX_MN-MINOX"}
    close(ard_value(ard, method="WELCH_T", stat="p_value", **where), welch.pvalue)
    close(ard_value(ard, method="WELCH_T", stat="diff", **where), test.mean() - control.mean())
    close(ard_value(ard, method="WELCH_T", stat="ci_lower", **where), interval.low)
    close(ard_value(ard, method="WELCH_T", stat="ci_upper", **where), interval.high)
    mw = stats.mannwhitneyu(test, control, alternative="two-sided")
    close(ard_value(ard, method="MANN_WHITNEY", stat="p_value", **where), mw.pvalue)
    close(ard_value(ard, method="MANN_WHITNEY", stat="statistic", **where), mw.statistic)


def test_pull_test_fisher_at_the_primary_visit(parallel):
    store, ard = parallel
    data = store.query(
        "SELECT r.arm, p.hairs_extracted > p.hairs_grasped * 0.1 AS positive FROM pull_tests p "
        "JOIN randomization r USING (subject_id) WHERE p.visit = 'WEEK_12'"
    )
    t, c = data[data.arm == "MINOX_MN"].positive, data[data.arm == "MINOX"].positive
    odds, p = stats.fisher_exact([[t.sum(), len(t) - t.sum()], [c.sum(), len(c) - c.sum()]])
    close(ard_value(ard, table_id="14.2.3", method="FISHER", stat="p_value"), p)
    n_itt = store.scalar("SELECT count(*) FROM randomization WHERE arm = 'MINOX_MN'")
    where = {"table_id": "14.2.3", "group": "MINOX_MN", "visit": "WEEK_12", "method": "COUNT"}
    close(ard_value(ard, param="PULL_POSITIVE", stat="count", **where), t.sum())
    close(ard_value(ard, param="PULL_POSITIVE", stat="pct", **where), 100 * t.sum() / len(t))  # of the tested, not of N
    close(ard_value(ard, param="PULL_NEGATIVE", stat="count", **where), len(t) - t.sum())
    close(ard_value(ard, param="PULL_NOT_TESTED", stat="count", **where), n_itt - len(t))  # apart, never negative
    close(ard_value(ard, param="PULL_NOT_TESTED", stat="denominator", **where), n_itt)


def test_adverse_events_by_term_with_risk_difference(parallel):
    store, ard = parallel
    events = store.query(
        "SELECT e.subject_id, e.pt, r.arm FROM adverse_events e JOIN randomization r USING (subject_id) "
        "WHERE e.onset_date >= r.randomization_date"
    )
    safety = store.query(
        "SELECT r.arm, count(*) AS n FROM randomization r WHERE r.subject_id IN "
        "(SELECT subject_id FROM procedures UNION SELECT h.subject_id FROM hair_counts h JOIN randomization x USING (subject_id) "
        "WHERE h.assessment_date > x.randomization_date) GROUP BY r.arm"
    ).set_index("arm").n
    for pt in sorted(events.pt.unique()):
        mine = events[events.pt == pt]
        counts = {arm: mine[mine.arm == arm].subject_id.nunique() for arm in ("MINOX", "MINOX_MN")}
        rows = ard[(ard.table_id == "14.3.2") & (ard.param == "TEAE_PT") & ard.category.str.endswith(f";pt={pt}")]
        for arm in ("MINOX", "MINOX_MN"):
            close(ard_value(rows, group=arm, stat="count"), counts[arm])
            close(ard_value(rows, group=arm, stat="pct"), 100 * counts[arm] / safety[arm])
            close(ard_value(rows, group=arm, stat="events"), (mine.arm == arm).sum())
        low, high = confint_proportions_2indep(counts["MINOX_MN"], safety["MINOX_MN"], counts["MINOX"], safety["MINOX"], method="newcomb")
        close(ard_value(rows, group="MINOX_MN-MINOX", stat="ci_lower"), 100 * low)
        close(ard_value(rows, group="MINOX_MN-MINOX", stat="ci_upper"), 100 * high)


def test_disposition_counts(parallel):
    store, ard = parallel
    close(ard_value(ard, table_id="14.1.1", param="SCREENED", stat="count"), store.scalar("SELECT count(*) FROM subjects"))
    close(ard_value(ard, table_id="14.1.1", param="SCREEN_FAILURE", stat="count"), store.scalar("SELECT count(*) FROM subjects WHERE eligible = 'N'"))
    discontinued = store.query(
        "SELECT r.arm, count(*) AS n FROM disposition d JOIN randomization r USING (subject_id) WHERE d.status = 'DISCONTINUED' GROUP BY 1"
    ).set_index("arm").n
    for arm in ("MINOX", "MINOX_MN"):
        n = store.scalar("SELECT count(*) FROM randomization WHERE arm = $a", {"a": arm})
        got = discontinued.get(arm, 0)
        close(ard_value(ard, table_id="14.1.1", param="DISCONTINUED", group=arm, stat="count"), got)
        close(ard_value(ard, table_id="14.1.1", param="DISCONTINUED", group=arm, stat="pct"), 100 * got / n)


def test_demographics_age(parallel):
    store, ard = parallel
    ages = store.query("SELECT r.arm, s.age FROM subjects s JOIN randomization r USING (subject_id)")
    for arm, group in [*ages.groupby("arm"), ("TOTAL", ages)]:
        close(ard_value(ard, table_id="14.1.2", param="AGE", group=arm, stat="mean"), group.age.mean())
        close(ard_value(ard, table_id="14.1.2", param="AGE", group=arm, stat="sd"), group.age.std())


def test_single_arm_paired_test_and_published_medians(single_arm):
    store, ard = single_arm
    data = store.query(
        """
        SELECT s.sex, s.diagnosis, b.region, b.hair_count / b.area_cm2 AS base, w.hair_count / w.area_cm2 AS aval
        FROM hair_counts b JOIN hair_counts w ON w.subject_id = b.subject_id AND w.region = b.region AND w.visit = 'MONTH_6'
        JOIN subjects s ON s.subject_id = b.subject_id WHERE b.visit = 'BASELINE'
        """
    )
    data["pchg"] = 100 * (data.aval - data.base) / data.base
    frontal = data[data.region == "FRONTAL"]
    paired = stats.ttest_rel(frontal.aval, frontal.base)
    close(ard_value(ard, table_id="14.2.1", method="PAIRED_T", stat="p_value"), paired.pvalue)
    close(ard_value(ard, table_id="14.2.1", method="PAIRED_T", stat="diff"), (frontal.aval - frontal.base).mean())
    close(ard_value(ard, table_id="14.2.1", method="PAIRED_T", stat="p_value_wilcoxon"), stats.wilcoxon(frontal.aval - frontal.base).pvalue)
    published = {
        ("FRONTAL", ""): 36.64, ("VERTEX", ""): 35.10,
        ("FRONTAL", ";diagnosis=TE"): 52.4, ("VERTEX", ";diagnosis=TE"): 51.97,
        ("FRONTAL", ";diagnosis=AGA;sex=M"): 25.16, ("VERTEX", ";diagnosis=AGA;sex=M"): 17.45,
        ("FRONTAL", ";diagnosis=AGA;sex=F"): 32.35, ("VERTEX", ";diagnosis=AGA;sex=F"): 35.88,
    }
    for (region, subgroup), median in published.items():
        found = ard_value(ard, table_id="14.2.4", category=f"region={region}{subgroup}", method="DESCRIPTIVE", stat="median")
        assert round(found, 2) == median
    for (region, sex), group in data.groupby(["region", "sex"]):
        where = {"table_id": "14.2.4", "category": f"region={region};sex={sex}"}
        close(ard_value(ard, method="DESCRIPTIVE", stat="mean", **where), group.pchg.mean())
        close(ard_value(ard, method="PAIRED_T", stat="p_value", **where), stats.ttest_rel(group.aval, group.base).pvalue)


def test_published_numbers_in_the_primary_and_global_tables(tmp_path_factory):
    store = _study(tmp_path_factory, "dhurat2013", 9, None)
    ard = compute_ard(store)
    means = {g: round(ard_value(ard, table_id="14.2.1", group=g, method="DESCRIPTIVE", stat="mean"), 1) for g in ("MINOX", "MINOX_MN")}
    assert means == {"MINOX": 22.2, "MINOX_MN": 91.4}
    where = {"table_id": "14.2.5", "param": "GLOBAL_INVESTIGATOR", "category": "RESPONDER", "method": "COUNT"}
    assert ard_value(ard, group="MINOX_MN", stat="count", **where) == 40 and ard_value(ard, group="MINOX_MN", stat="pct", **where) == 80
    assert ard_value(ard, group="MINOX", stat="count", **where) == 0
    store.close()


def test_an_empty_study_and_its_first_subjects_give_an_ard_without_untestable_statistics(store, tmp_path):
    from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, csv_bytes, load, seed

    from trial.reports.pack import write_pack

    empty = compute_ard(store)
    assert set(empty.method) <= {"COUNT", "DESCRIPTIVE", "MI"}  # no test on no data
    assert set(empty[empty.method == "MI"].stat) == {"seed", "imputations"}  # the imputation pre-specified, not run
    assert not empty.value.isna().all()
    seed(store)  # four randomized subjects; two with a baseline and a week-4 count
    assert load(store, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts").status == "loaded"
    early = compute_ard(store)
    assert "ANCOVA" not in set(early.method)  # no one has reached the primary visit yet
    assert set(early[early.method == "MI"].stat) == {"seed", "imputations"}
    assert len(write_pack(store, tmp_path / "pack")) > 40  # and the pack still writes, with dashes
