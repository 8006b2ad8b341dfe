"""The outcomes of the data dictionary: load whole, reject whole, no-ops, corrections, dry runs."""

from helpers import (
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    RANDOMIZATION_HEADER,
    RANDOMIZATION_ROWS,
    SUBJECTS_HEADER,
    SUBJECTS_ROWS,
    csv_bytes,
    load,
    snapshot,
)


def test_a_valid_file_loads_every_row_with_its_line(seeded):
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    assert result.status == "loaded", [f.sentence for f in result.findings]
    assert (result.inserted, result.corrected, result.unchanged) == (4, 0, 0)
    rows = seeded.query("SELECT subject_id, visit, hair_count, source_line, upload_id FROM hair_counts ORDER BY source_line")
    assert rows.source_line.tolist() == [2, 3, 4, 5]
    assert rows.hair_count.tolist() == [120, 130, 110, 150]
    assert set(rows.upload_id) == {result.upload_id}


def test_the_domain_is_told_from_the_header(seeded):
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), domain=None)
    assert (result.status, result.domain) == ("loaded", "hair_counts")


def test_lower_case_codes_and_padded_cells_are_normalised(seeded):
    rows = ["  s01 , s01-001 , baseline ,2024-01-09, target ,1, 120 ,,,,"]
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, rows), "hair_counts")
    assert result.status == "loaded", [f.sentence for f in result.findings]
    assert seeded.query("SELECT site_id, subject_id, visit, region FROM hair_counts").iloc[0].tolist() == [
        "S01", "S01-001", "BASELINE", "TARGET"
    ]


def test_the_same_bytes_twice_is_a_no_op_that_says_so(seeded):
    data = csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS)
    first = load(seeded, data, "hair_counts")
    before, version = snapshot(seeded), seeded.data_version()
    again = load(seeded, data, "hair_counts")
    assert again.status == "already loaded" and again.previous_upload == first.upload_id
    assert snapshot(seeded) == before and seeded.data_version() == version


def test_identical_rows_in_a_new_file_are_unchanged(seeded):
    load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, newline="\r\n"), "hair_counts")
    assert (result.status, result.inserted, result.unchanged, result.corrected) == ("loaded", 0, 4, 0)


def test_a_correction_without_a_reason_is_refused_and_changes_nothing(seeded):
    load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    before = snapshot(seeded)
    changed = [HAIR_COUNTS_ROWS[0].replace(",120,", ",125,"), *HAIR_COUNTS_ROWS[1:]]
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, changed), "hair_counts")
    assert result.status == "rejected"
    [finding] = result.errors
    assert (finding.line, finding.column, finding.value) == (2, "hair_count", "125")
    assert "120" in finding.message and "reason" in finding.message
    assert snapshot(seeded) == before


def test_a_correction_with_a_reason_changes_the_value_and_keeps_the_old_one(seeded):
    load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts")
    changed = [HAIR_COUNTS_ROWS[0].replace(",120,", ",125,"), *HAIR_COUNTS_ROWS[1:]]
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, changed), "hair_counts", user="bob", reason="typo on CRF")
    assert (result.status, result.corrected, result.unchanged) == ("loaded", 1, 3)
    value = seeded.scalar("SELECT hair_count FROM hair_counts WHERE subject_id='S01-001' AND visit='BASELINE'")
    assert value == 125
    audit = seeded.query("SELECT * FROM audit_trail WHERE action = 'CORRECT'")
    assert audit[["record_key", "column_name", "old_value", "new_value", "user_name", "reason"]].iloc[0].tolist() == [
        "S01-001 / BASELINE / TARGET", "hair_count", "120", "125", "bob", "typo on CRF"
    ]
    assert audit.changed_at.notna().all()


def test_a_dry_run_reports_but_writes_nothing(seeded):
    before, version = snapshot(seeded), seeded.data_version()
    uploads = seeded.scalar("SELECT count(*) FROM uploads")
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "hair_counts", dry_run=True)
    assert (result.status, result.inserted) == ("checked", 4)
    assert snapshot(seeded) == before and seeded.data_version() == version
    assert seeded.scalar("SELECT count(*) FROM uploads") == uploads


def test_a_rejected_file_is_archived_and_logged_with_its_findings(seeded):
    from trial.store.archive import raw_bytes

    data = csv_bytes(HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[0].replace(",120,100,15,", ",-3,,,")])
    result = load(seeded, data, "hair_counts", name="bad.csv")
    assert result.status == "rejected"
    assert raw_bytes(seeded, result.upload_id) == ("bad.csv", data)
    logged = seeded.query("SELECT status, errors FROM uploads WHERE upload_id = $id", {"id": result.upload_id})
    assert logged.iloc[0].tolist() == ["rejected", 1]
    stored = seeded.query("SELECT line, column_name, value FROM findings WHERE upload_id = $id", {"id": result.upload_id})
    assert stored.iloc[0].tolist() == [2, "hair_count", "-3"]


def test_warnings_load_and_are_kept_for_monitors(seeded):
    late = HAIR_COUNTS_ROWS[1].replace("2024-02-07", "2024-03-01")  # day 51: outside WEEK_4 (21-35)
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[0], late]), "hair_counts")
    assert result.status == "loaded"
    [warning] = result.warnings
    assert (warning.line, warning.column, warning.rule) == (3, "assessment_date", "visit_window")
    assert warning.message == "2024-03-01 is study day 51, outside the Week 4 window (days 21 to 35)"  # the visit in words
    stored = seeded.query("SELECT severity, rule FROM findings WHERE upload_id = $id", {"id": result.upload_id})
    assert stored.iloc[0].tolist() == ["warning", "visit_window"]


def test_trailing_nameless_columns_are_ignored_when_empty(seeded):
    rows = [r + ",," for r in HAIR_COUNTS_ROWS]
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER + ",,", rows), "hair_counts")
    assert (result.status, result.inserted) == ("loaded", 4), [f.sentence for f in result.findings]


def test_a_value_under_a_nameless_column_is_refused(seeded):
    rows = [HAIR_COUNTS_ROWS[0] + ",", HAIR_COUNTS_ROWS[1] + ",oops"]
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER + ",", rows), "hair_counts")
    assert result.status == "rejected"
    [finding] = result.errors
    assert (finding.line, finding.value, finding.rule) == (3, "oops", "value_without_column")
    assert "column 12" in finding.sentence


def test_a_byte_order_mark_where_two_files_were_joined_is_trimmed(seeded):
    data = csv_bytes(HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[0], "\ufeff" + HAIR_COUNTS_ROWS[1]])
    result = load(seeded, data, "hair_counts")
    assert result.status == "loaded", [f.sentence for f in result.findings]
    assert seeded.scalar("SELECT count(*) FROM hair_counts WHERE site_id = 'S01'") == 2


def test_a_far_future_date_is_a_finding_not_a_crash(seeded):
    row = HAIR_COUNTS_ROWS[0].replace("2024-01-09", "9999-12-31")
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, [row]), "hair_counts")
    assert result.status == "rejected"
    assert (result.errors[0].line, result.errors[0].column, result.errors[0].value) == (2, "assessment_date", "9999-12-31")
    assert "future" in result.errors[0].message


def test_a_day_month_date_that_can_be_only_one_date_says_which(seeded):
    row = HAIR_COUNTS_ROWS[1].replace("2024-02-07", "28/02/2024")
    result = load(seeded, csv_bytes(HAIR_COUNTS_HEADER, [row]), "hair_counts")
    [finding] = result.errors
    assert (finding.line, finding.column, finding.rule) == (2, "assessment_date", "date_format")
    assert "write 2024-02-28" in finding.message and "ambiguous" not in finding.message


def test_a_batch_preview_checks_each_file_against_the_earlier_ones_and_changes_nothing(store):
    from trial.ingest.upload import preview_batch

    before = snapshot(store)
    version = store.data_version()
    subjects = csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS)
    randomization = csv_bytes(RANDOMIZATION_HEADER, RANDOMIZATION_ROWS)
    results = preview_batch(store, [("s.csv", subjects), ("r.csv", randomization)], user="coordinator")
    assert [(r.status, r.inserted) for r in results] == [("checked", len(SUBJECTS_ROWS)), ("checked", len(RANDOMIZATION_ROWS))]
    assert all(r.upload_id is None for r in results)
    assert snapshot(store) == before and store.data_version() == version
    assert store.scalar("SELECT count(*) FROM uploads") == 0
    # alone, the randomization file is rejected: its subjects are not in the study
    alone = preview_batch(store, [("r.csv", randomization)], user="coordinator")
    assert alone[0].status == "rejected" and {f.rule for f in alone[0].errors} == {"subject_exists"}
