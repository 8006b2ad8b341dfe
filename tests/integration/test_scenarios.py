"""The synthetic scenarios load with no error and reproduce the published numbers.

The statistics are computed straight from the loaded database with plain SQL and the standard
library: not with the project's own reporting code.
"""

import statistics

import duckdb
import pytest

from synthetic_data.scenarios import SCENARIOS, write_scenario
from trial.ingest.upload import upload_paths
from trial.store import Store

SEEDS = (1, 2, 7)


def _load(tmp_path, scenario, seed, subjects=None):
    folder = tmp_path / f"{scenario}-{seed}"
    files = write_scenario(scenario, folder, seed=seed, subjects=subjects)
    db = tmp_path / f"{scenario}-{seed}.duckdb"
    with Store.create(db, (folder / "study.toml").read_text(), user="synth") as store:
        results = upload_paths(store, files, user="synth")
    errors = [f.sentence for r in results for f in r.errors]
    assert not errors, errors[:10]
    assert [r.status for r in results] == ["loaded"] * 8
    return duckdb.connect(str(db), read_only=True)


def _one(con, sql):
    """The single value a query returns (fetched whole: DuckDB 2.0 keeps an unfinished result open)."""
    return con.execute(sql).fetchall()[0][0]


MEAN_CHANGE_AT_WEEK_12 = """
    SELECT r.arm, count(*) AS n, avg(w.hair_count - b.hair_count) AS mean_change
    FROM hair_counts AS b
    JOIN hair_counts AS w ON w.subject_id = b.subject_id AND w.region = b.region AND w.visit = 'WEEK_12'
    JOIN randomization AS r ON r.subject_id = b.subject_id
    WHERE b.visit = 'BASELINE' AND b.region = 'TARGET'
    GROUP BY r.arm
"""
RESPONDERS_AT_WEEK_12 = """
    SELECT r.arm, count(*) FILTER (WHERE g.score >= 2) AS responders
    FROM randomization AS r
    LEFT JOIN global_assessments AS g ON g.subject_id = r.subject_id AND g.visit = 'WEEK_12' AND g.assessor = $assessor
    GROUP BY r.arm
"""


@pytest.mark.parametrize("seed", SEEDS)
def test_dhurat2013_week_12_change_and_investigator_responders(tmp_path, seed):
    con = _load(tmp_path, "dhurat2013", seed)
    change = {arm: round(mean, 1) for arm, _, mean in con.sql(MEAN_CHANGE_AT_WEEK_12).fetchall()}
    assert change == {"MINOX_MN": 91.4, "MINOX": 22.2}
    responders = dict(con.execute(RESPONDERS_AT_WEEK_12, {"assessor": "INVESTIGATOR"}).fetchall())
    assert responders == {"MINOX_MN": 40, "MINOX": 0}
    assert dict(con.sql("SELECT arm, count(*) FROM randomization GROUP BY arm").fetchall()) == {"MINOX_MN": 50, "MINOX": 50}


@pytest.mark.parametrize("seed", SEEDS)
def test_kumar2018_change_per_square_inch(tmp_path, seed):
    con = _load(tmp_path, "kumar2018", seed)
    change = {arm: round(mean, 2) for arm, _, mean in con.sql(MEAN_CHANGE_AT_WEEK_12).fetchall()}
    assert change == {"MINOX_MN": 12.52, "MINOX": 1.89}
    assert con.sql("SELECT DISTINCT area_cm2 FROM hair_counts").fetchall() == [(6.4516,)]
    assert dict(con.execute(RESPONDERS_AT_WEEK_12, {"assessor": "PATIENT"}).fetchall()) == {"MINOX_MN": 4, "MINOX": 0}


STARACE = {
    "FRONTAL": {"ALL": 36.64, "TE": 52.4, "AGA_M": 25.16, "AGA_F": 32.35},
    "VERTEX": {"ALL": 35.10, "TE": 51.97, "AGA_M": 17.45, "AGA_F": 35.88},
}


@pytest.mark.parametrize("seed", SEEDS)
def test_starace2019_median_percent_change_in_density(tmp_path, seed):
    con = _load(tmp_path, "starace2019", seed)
    rows = con.sql(
        """
        SELECT CASE WHEN s.diagnosis = 'TE' THEN 'TE' ELSE 'AGA_' || s.sex END AS subgroup, b.region,
               100 * (w.hair_count / w.area_cm2 - b.hair_count / b.area_cm2) / (b.hair_count / b.area_cm2) AS pchg
        FROM hair_counts AS b
        JOIN hair_counts AS w ON w.subject_id = b.subject_id AND w.region = b.region AND w.visit = 'MONTH_6'
        JOIN subjects AS s ON s.subject_id = b.subject_id
        WHERE b.visit = 'BASELINE'
        """
    ).fetchall()
    for region, expected in STARACE.items():
        values = [(group, pchg) for group, r, pchg in rows if r == region]
        found = {"ALL": round(statistics.median(v for _, v in values), 2)}
        for group in ("TE", "AGA_M", "AGA_F"):
            found[group] = round(statistics.median(v for g, v in values if g == group), 2)
        assert found == expected, region
    sizes = dict(con.sql("SELECT sex || diagnosis, count(*) FROM subjects WHERE eligible = 'Y' GROUP BY 1").fetchall())
    assert sizes == {"FAGA": 29, "FTE": 7, "MAGA": 14}
    assert _one(con, "SELECT count(*) FROM pull_tests WHERE visit = 'MONTH_6' AND hairs_extracted > 0.1 * hairs_grasped") == 0
    assert _one(con, "SELECT count(*) FROM adverse_events WHERE severity = 'SEVERE'") == 0


def test_scale_loads_at_several_sites(tmp_path):
    con = _load(tmp_path, "scale", 5, subjects=900)
    assert _one(con, "SELECT count(*) FROM randomization") == 900
    assert _one(con, "SELECT count(DISTINCT site_id) FROM subjects") == 5


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes(tmp_path, scenario):
    def written(seed, name):
        files = write_scenario(scenario, tmp_path / name, seed=seed, subjects=60 if scenario == "scale" else None)
        return {p.name: p.read_bytes() for p in [*files, tmp_path / name / "study.toml"]}

    first, again, other = written(4, "a"), written(4, "b"), written(5, "c")
    assert first == again
    assert first["hair_counts.csv"] != other["hair_counts.csv"]
    assert first["subjects.csv"] != other["subjects.csv"]


def test_the_realistic_features_are_there(tmp_path):
    con = _load(tmp_path, "dhurat2013", 1)
    assert _one(con, "SELECT count(*) FROM subjects WHERE eligible = 'N'") > 0  # screen failures
    assert _one(con, "SELECT count(*) FROM procedures") > 500  # weekly sessions in one arm
    arms = dict(con.sql("SELECT r.arm, count(*) FROM procedures p JOIN randomization r USING (subject_id) GROUP BY 1").fetchall())
    assert set(arms) == {"MINOX_MN"}
    by_arm = dict(
        con.sql(
            "SELECT r.arm, count(*) FROM adverse_events a JOIN randomization r USING (subject_id) "
            "WHERE a.pt IN ('Erythema', 'Pinpoint bleeding') GROUP BY 1"
        ).fetchall()
    )
    assert by_arm.get("MINOX_MN", 0) > 5 * by_arm.get("MINOX", 0)
    assert _one(con, "SELECT count(*) FROM adverse_events WHERE serious = 'Y'") == 0
    # Visits now and then outside their window are warnings, kept for monitors.
    assert _one(con, "SELECT count(*) FROM findings WHERE rule = 'visit_window' AND severity = 'warning'") > 0
