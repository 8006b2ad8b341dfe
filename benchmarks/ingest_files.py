"""The ingest benchmark's data (``benchmarks/ingest.py``): a valid demo-study dataset of a given size.

This module holds :func:`generate`, which writes subjects.csv, randomization.csv and hair_counts.csv
with a numpy generator seeded with SEED and the size (20 hair_counts rows per subject: 5 visits x
4 regions, every assessment inside its visit window), and what it builds them from: the demo
study, one pyarrow table per file, and the plain CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SEED = 20240601
ROWS_PER_SUBJECT = 20  # 5 visits x 4 regions in the demo study
FIRST_RANDOMIZATION = np.datetime64("2023-01-02")
RANDOMIZATION_SPREAD_DAYS = 300  # last WEEK_24 visit lands in mid-2024: always in the past
NORWOOD = np.array(["II", "III", "IIIV", "IV", "V"])
LUDWIG = np.array(["I", "II", "III"])


# --------------------------------------------------------------------------- data
def demo_study():
    from trial.study import builtin_study_text, parse_study

    return parse_study(builtin_study_text("demo"), "the demo study")


def _write_csv(table: pa.Table, path: Path) -> None:
    """Plain CSV as a site exports it: no quotes anywhere (pyarrow would quote the header), ISO dates."""
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), pa.date32())


def _subject_frame(rng: np.random.Generator, n_subjects: int, study) -> dict[str, np.ndarray]:
    sites = np.array(study.site_ids)
    site = sites[rng.integers(0, len(sites), n_subjects)]
    number = np.char.zfill(np.arange(1, n_subjects + 1).astype(str), 6)
    randomized = FIRST_RANDOMIZATION + rng.integers(0, RANDOMIZATION_SPREAD_DAYS, n_subjects)
    consent = randomized - rng.integers(0, 15, n_subjects)
    return {
        "site_id": site,
        "subject_id": np.char.add(np.char.add(site, "-"), number),
        "randomized": randomized,
        "consent": consent,
        "screening": consent - rng.integers(0, 8, n_subjects),
        "arm": np.array(study.arm_codes)[rng.integers(0, len(study.arm_codes), n_subjects)],
    }


def _subjects_table(rng: np.random.Generator, s: dict[str, np.ndarray], study) -> pa.Table:
    n = len(s["subject_id"])
    male = rng.random(n) < 0.7
    grade = np.where(male, NORWOOD[rng.integers(0, len(NORWOOD), n)], LUDWIG[rng.integers(0, len(LUDWIG), n)])
    fitzpatrick = np.array(["I", "II", "III", "IV", "V", "VI"])[rng.integers(0, 6, n)]
    ages = rng.integers(study.eligibility.min_age, study.eligibility.max_age + 1, n)
    return pa.table(
        {
            "site_id": s["site_id"],
            "subject_id": s["subject_id"],
            "screening_date": _dates(s["screening"]),
            "consent_date": _dates(s["consent"]),
            "age": ages,
            "sex": np.where(male, "M", "F"),
            "diagnosis": np.full(n, "AGA"),
            "severity_scale": np.where(male, "NORWOOD", "LUDWIG"),
            "severity_grade": grade,
            "fitzpatrick": fitzpatrick,
            "eligible": np.full(n, "Y"),
        }
    )


def _randomization_table(s: dict[str, np.ndarray]) -> pa.Table:
    n = len(s["subject_id"])
    return pa.table(
        {
            "site_id": s["site_id"],
            "subject_id": s["subject_id"],
            "randomization_date": _dates(s["randomized"]),
            "arm": s["arm"],
            "randomization_number": np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
            "stratum": pa.nulls(n, pa.string()),
        }
    )


def _hair_counts_table(rng: np.random.Generator, s: dict[str, np.ndarray], study) -> pa.Table:
    """One row per subject x visit x region, ordered so; each visit's date inside its window."""
    visits, regions = study.visits, np.array(study.assessments.regions)
    n_subjects, n_visits, n_regions = len(s["subject_id"]), len(visits), len(regions)
    earliest = np.array([v.earliest_day for v in visits])
    latest = np.array([v.latest_day for v in visits])
    study_day = rng.integers(earliest, latest + 1, size=(n_subjects, n_visits))
    visit_date = s["randomized"][:, None] + study_day  # same date for every region of a visit
    per_subject = n_visits * n_regions
    n = n_subjects * per_subject
    hair = rng.integers(80, 251, n)
    terminal = np.floor(hair * rng.uniform(0.55, 0.85, n)).astype(np.int64)
    vellus = rng.integers(0, hair - terminal + 1)  # terminal + vellus <= hair
    evaluator = np.char.add(s["site_id"], np.char.add("-EV", rng.integers(1, 4, n_subjects).astype(str)))
    return pa.table(
        {
            "site_id": np.repeat(s["site_id"], per_subject),
            "subject_id": np.repeat(s["subject_id"], per_subject),
            "visit": np.tile(np.repeat(np.array([v.code for v in visits]), n_regions), n_subjects),
            "assessment_date": _dates(np.repeat(visit_date.ravel(), n_regions)),
            "region": np.tile(regions, n_subjects * n_visits),
            "area_cm2": np.full(n, "1.0"),
            "hair_count": hair,
            "terminal_count": terminal,
            "vellus_count": vellus,
            "shaft_diameter_um": np.round(rng.uniform(40, 90, n), 1),
            "evaluator_id": np.repeat(evaluator, per_subject),
        }
    )


def generate(rows: int, folder: Path) -> dict[str, Path]:
    """Write subjects.csv, randomization.csv and hair_counts.csv (``rows`` rows) under ``folder``."""
    if rows % ROWS_PER_SUBJECT:
        raise SystemExit(f"--sizes: {rows} is not a multiple of {ROWS_PER_SUBJECT} (rows per subject)")
    study = demo_study()
    rng = np.random.default_rng([SEED, rows])
    subjects = _subject_frame(rng, rows // ROWS_PER_SUBJECT, study)
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / f"{name}.csv" for name in ("subjects", "randomization", "hair_counts")}
    _write_csv(_subjects_table(rng, subjects, study), files["subjects"])
    _write_csv(_randomization_table(subjects), files["randomization"])
    _write_csv(_hair_counts_table(rng, subjects, study), files["hair_counts"])
    return files
