"""Eight threads loading different files into one database at once: all loaded, none lost or doubled."""

from concurrent.futures import ThreadPoolExecutor

from helpers import hair_count_file, load, study_files


def test_eight_threads_load_eight_files(store):
    subjects, randomization = study_files(80)
    assert load(store, subjects, "subjects").status == "loaded"
    assert load(store, randomization, "randomization").status == "loaded"
    files = [hair_count_file([f"S01-{n:04d}" for n in range(1 + 10 * k, 11 + 10 * k)]) for k in range(8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda item: load(store, item[1], "hair_counts", name=f"part{item[0]}.csv"), enumerate(files)))

    assert [r.status for r in results] == ["loaded"] * 8, [f.sentence for r in results for f in r.findings]
    assert sum(r.inserted for r in results) == 8 * 10 * 4
    counts = store.query("SELECT count(*) AS n, count(DISTINCT (subject_id, visit, region)) AS keys FROM hair_counts")
    assert counts.iloc[0].tolist() == [320, 320]
    assert len({r.upload_id for r in results}) == 8


def test_the_same_rows_from_eight_threads_load_once(store):
    subjects, randomization = study_files(10)
    load(store, subjects, "subjects")
    load(store, randomization, "randomization")
    base = hair_count_file([f"S01-{n:04d}" for n in range(1, 11)])
    # Eight files with the same rows but different bytes (line endings), so none is a byte-identical no-op.
    variants = [base.replace(b"\n", b"\r\n") if k % 2 else base + b"\n" * k for k in range(8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda data: load(store, data, "hair_counts"), variants))

    assert sum(r.inserted for r in results) == 40
    assert store.scalar("SELECT count(*) FROM hair_counts") == 40
