"""The Upload page: check a batch without changing anything, show findings and corrections, then load."""

from __future__ import annotations

from helpers import (
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    RANDOMIZATION_HEADER,
    RANDOMIZATION_ROWS,
    SUBJECTS_HEADER,
    SUBJECTS_ROWS,
    csv_bytes,
)
from trial.store import Store

PAGE = "views/upload.py"


def _uploader(at):
    return next(u for u in at.get("file_uploader"))


def _choose(at, *files: tuple[str, bytes]):
    picker = _uploader(at)
    for name, content in files:
        picker.upload(name, content, "text/csv")
    return picker.run()


def _text(at) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.success, *at.warning, *at.info, *at.error])


def _count(db, table: str) -> int:
    with Store.open(db) as store:
        return int(store.scalar(f"SELECT count(*) FROM {table}"))


def _db(empty_app) -> str:
    import os

    return os.environ["TRIAL_DB"]


def test_without_files_the_page_explains_what_each_file_holds(empty_app):
    at = empty_app(PAGE)
    assert at.title[0].value == "Upload site files"
    dictionary = at.dataframe[0].value
    assert list(dictionary["File (domain)"])[:2] == ["subjects", "randomization"]
    assert dictionary.loc[dictionary["File (domain)"] == "hair_counts", "One row per"].item() == "subject_id, visit, region"


def test_a_batch_is_checked_in_domain_order_then_loaded_and_every_page_sees_it(empty_app):
    at = empty_app(PAGE)
    db = _db(empty_app)
    # randomization first on purpose: the batch is put in order and checked as one
    at = _choose(at, ("rand.csv", csv_bytes(RANDOMIZATION_HEADER, RANDOMIZATION_ROWS)),
                 ("subjects.csv", csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS)))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ready to load"] == "2" and metrics["Rejected"] == "0"
    assert f"{len(SUBJECTS_ROWS)} new row(s)" in _text(at)
    assert _count(db, "subjects") == 0  # the check changed nothing
    at.button[0].click().run()
    assert not at.exception
    assert "Loaded 2 of 2 file(s)" in _text(at)
    assert _count(db, "subjects") == len(SUBJECTS_ROWS)
    assert _count(db, "randomization") == len(RANDOMIZATION_ROWS)


def test_a_bad_file_is_rejected_with_its_line_column_and_value_and_the_check_records_nothing(empty_app):
    at = empty_app(PAGE)
    rows = list(SUBJECTS_ROWS)
    rows[1] = rows[1].replace(",M,", ",X,", 1)
    at = _choose(at, ("subjects.csv", csv_bytes(SUBJECTS_HEADER, rows)))
    assert {m.label: m.value for m in at.metric}["Rejected"] == "1"
    findings = at.dataframe[0].value
    bad = findings[findings.Column == "sex"]
    assert list(bad.Line) == [3] and list(bad.Value) == ["X"]
    plan = next(i.value for i in at.info if i.value.startswith("This was a check"))
    assert "nothing is recorded until you press Upload" in plan and "records subjects.csv as a rejected upload" in plan
    assert [b.label for b in at.button if b.label.startswith("Upload")] == ["Upload 1 file(s)"]
    assert _count(_db(empty_app), "subjects") == 0 and _count(_db(empty_app), "uploads") == 0  # a check is not an upload


def test_pressing_upload_logs_a_rejected_file_with_its_findings_as_the_cli_does_and_the_overview_shows_it(empty_app):
    """The defect: the page loaded only the loadable files, so a file rejected in the browser left no
    trace and the overview said "No upload has been rejected"."""
    db = _db(empty_app)
    at = empty_app(PAGE)
    bad_rand = [RANDOMIZATION_ROWS[0].replace(",MINOX,", ",PLACEBO,"), *RANDOMIZATION_ROWS[1:]]
    at = _choose(at, ("subjects.csv", csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS)),
                 ("rand-bad.csv", csv_bytes(RANDOMIZATION_HEADER, bad_rand)))
    assert {m.label: m.value for m in at.metric}["Rejected"] == "1"
    next(b for b in at.button if b.label == "Upload 2 file(s)").click().run()
    assert not at.exception
    outcome = at.warning[0].value
    assert outcome.startswith("Loaded 1 of 2 file(s).") and "rejected, and recorded as upload 2" in outcome
    with Store.open(db) as store:
        uploads = store.query("SELECT upload_id, file_name, status, errors FROM uploads ORDER BY upload_id")
        findings = store.query("SELECT line, column_name, value FROM findings WHERE upload_id = 2")
    assert uploads[["file_name", "status"]].values.tolist() == [["subjects.csv", "loaded"], ["rand-bad.csv", "rejected"]]
    assert uploads.errors.iloc[1] >= 1
    assert ["arm", "PLACEBO"] in findings[["column_name", "value"]].values.tolist()
    assert _count(db, "randomization") == 0  # nothing of the rejected file loaded

    overview = empty_app("views/overview.py")
    rejected = next(d.value for d in overview.dataframe if "example" in d.value.columns)
    assert rejected.files.sum() == 1 and any("PLACEBO" in str(e) for e in rejected.example)
    assert "No upload has been rejected." not in [c.value for c in overview.caption]


def test_a_correction_shows_before_and_after_and_needs_a_reason(empty_app):
    at = empty_app(PAGE)
    db = _db(empty_app)
    _choose(at, ("s.csv", csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS)), ("r.csv", csv_bytes(RANDOMIZATION_HEADER, RANDOMIZATION_ROWS)),
            ("h.csv", csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS))).button[0].click().run()
    corrected = list(HAIR_COUNTS_ROWS)
    fields = corrected[0].split(",")
    old = fields[6]
    fields[6] = str(int(old) + 7)
    corrected[0] = ",".join(fields)
    at = _choose(at, ("h2.csv", csv_bytes(HAIR_COUNTS_HEADER, corrected)))
    assert {m.label: m.value for m in at.metric}["Corrections"] == "1"
    change = at.dataframe[0].value
    assert list(change.Column) == ["hair_count"] and list(change.Before) == [old] and list(change.After) == [fields[6]]
    load = next(b for b in at.button if b.label.startswith("Upload"))
    assert load.disabled  # no reason yet
    at.text_area[0].input("source data verification").run()
    next(b for b in at.button if b.label.startswith("Upload")).click().run()
    assert "1 corrected" in _text(at)
    with Store.open(db) as store:
        audit = store.query("SELECT old_value, new_value, reason FROM audit_trail WHERE action = 'CORRECT'")
    assert audit.to_dict("records") == [{"old_value": old, "new_value": fields[6], "reason": "source data verification"}]


def test_a_locked_database_says_so_instead_of_offering_the_picker(empty_app):
    from trial.governance.lock import lock

    with Store.open(_db(empty_app)) as store:
        lock(store, user="stat", reason="final data review")
    at = empty_app(PAGE)
    assert "locked" in at.warning[0].value and "final data review" in at.warning[0].value
    assert not list(at.get("file_uploader"))


def test_the_page_offers_a_template_of_each_file_the_user_may_upload(tmp_path, monkeypatch):
    """Site staff get all eight (open-label: they see the arm); the blinded evaluator gets her assessment
    files only, never the randomization or session templates, whose example holds an arm."""
    from helpers import TEAM_PASSWORD, signed_in_app, team_store

    from trial.governance.users import sign_in, start_session
    from trial.ingest.templates import template_csv

    with team_store(tmp_path) as store:
        tokens = {who: start_session(store, sign_in(store, who, TEAM_PASSWORD)) for who in ("sam", "eve")}
        study = store.study
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))
    offered = {}
    for who in ("sam", "eve"):
        at = signed_in_app(tokens[who], PAGE)
        offered[who] = [b.label for b in at.get("download_button") if b.label.endswith(".csv")]
    assert offered["sam"] == [f"{d}.csv" for d in ("subjects", "randomization", "hair_counts", "pull_tests", "global_assessments",
                                                   "adverse_events", "procedures", "disposition")]
    assert offered["eve"] and not {"randomization.csv", "procedures.csv"} & set(offered["eve"])
    assert template_csv(study, "hair_counts").decode().splitlines()[1].startswith(f"{study.sites[0].id},{study.sites[0].id}-001,BASELINE")
