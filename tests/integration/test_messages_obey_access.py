"""Every message of an upload obeys access: findings, warnings, dry-run results, correction
previews and the findings stored for later readers are made from the uploader's (or the reader's)
view of the study, never from the whole store. Permission is checked before anything else, and an
allocation never changes by upload.

Each test is one of the oracles found when main was tried as an adversarial user would (issue 11);
each failed on the code before this change.
"""

from __future__ import annotations

import json
import shutil

import pytest
from helpers import DOUBLE_BLIND, csv_bytes, team_store

from trial.governance.access import Access, UploadScope

from trial.governance.views import ScopedStore
from trial.governance.users import account
from trial.ingest.upload import upload_bytes
from trial.readers.uploads import upload_findings
from trial.store import Store

ARMS = ("MINOX_MN", "MINOX", "Minoxidil 5 % + microneedling", "Topical minoxidil 5 %")
RAND = "site_id,subject_id,randomization_date,arm,randomization_number,stratum"
HAIR = "site_id,subject_id,visit,assessment_date,region,area_cm2,hair_count,terminal_count,vellus_count,shaft_diameter_um,evaluator_id"
AE = "site_id,subject_id,ae_seq,term,pt,soc,onset_date,resolution_date,severity,serious,relationship,suspected_cause,action_taken,outcome"
PROC = "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two team studies (two sites, an account per role, files loaded before the accounts existed,
    so every upload holds both sites): open-label with a blinded evaluator, and double-blind."""
    made = {}
    for name, roles in (("open_label", None), ("double_blind", DOUBLE_BLIND)):
        folder = tmp_path_factory.mktemp(name)
        team_store(folder, blinded_roles=roles).close()
        made[name] = folder / "study.duckdb"
    return made


def _copy(built, tmp_path, which: str = "open_label") -> Store:
    path = tmp_path / f"{which}.duckdb"
    shutil.copy(built[which], path)
    return Store.open(path)


@pytest.fixture
def study(built, tmp_path):
    with _copy(built, tmp_path) as store:
        yield store


@pytest.fixture
def double_blind(built, tmp_path):
    with _copy(built, tmp_path, "double_blind") as store:
        yield store


def _as(store: Store, name: str, data: bytes, **options):
    who = account(store, name)
    return upload_bytes(store, data, f"{name}.csv", user=name, scope=UploadScope.of(who), **options)


def _said(result) -> str:
    """Everything an upload tells its sender: printed sentences, corrections and the JSON form."""
    lines = [f.sentence for f in result.findings]
    lines += [f"{c.key} {c.column}: {c.old} -> {c.new}" for c in result.changes]
    return "\n".join(lines) + json.dumps(result.as_dict(), default=str)


def _row(store: Store, sql: str) -> dict:
    return store.query(sql).iloc[0].to_dict()


def _line(header: str, row: dict) -> str:
    def cell(value):
        if value is None or value != value:  # None or NaN
            return ""
        return value.date().isoformat() if hasattr(value, "date") else str(value)

    return ",".join(cell(row[c]) for c in header.split(","))


# --------------------------------------------------------------------------- blinding oracles
def test_a_blinded_evaluators_randomization_dry_run_is_refused_before_it_is_compared(study):
    row = _row(study, "SELECT * FROM randomization WHERE site_id = 'S02' ORDER BY subject_id LIMIT 1")
    flipped = dict(row, arm="MINOX" if row["arm"] == "MINOX_MN" else "MINOX_MN")
    result = _as(study, "eve", csv_bytes(RAND, [_line(RAND, flipped)]), dry_run=True)
    assert result.status == "rejected"
    assert [f.rule for f in result.findings] == ["upload_scope"]
    assert not any(arm in _said(result) for arm in ARMS), _said(result)


def test_a_one_row_session_file_does_not_tell_a_blinded_uploader_the_arm(double_blind):
    control = _row(double_blind, "SELECT * FROM randomization WHERE site_id = 'S01' AND arm = 'MINOX' LIMIT 1")
    session = f"S01,{control['subject_id']},{control['randomization_date'].date()},ROLLER,1.5,10,3,N"
    for name in ("sam", "eve"):  # double-blind site staff, and an evaluator
        result = _as(double_blind, name, csv_bytes(PROC, [session]), dry_run=True)
        assert [f.rule for f in result.findings] == ["upload_scope"], _said(result)
        assert not any(arm in _said(result) for arm in ARMS), _said(result)
    assert "blinded" in _as(double_blind, "sam", csv_bytes(PROC, [session]), dry_run=True).findings[0].message


def test_permission_is_checked_before_already_loaded(study):
    raw = study.query("SELECT file_name FROM uploads WHERE domain = 'procedures'").file_name.item()
    from trial.store.archive import raw_bytes

    upload_id = int(study.scalar("SELECT upload_id FROM uploads WHERE domain = 'procedures'"))
    name, data = raw_bytes(study, upload_id)
    assert name == raw
    result = _as(study, "eve", data)
    assert result.status == "rejected" and result.previous_upload is None
    assert [f.rule for f in result.findings] == ["upload_scope"]
    logged = study.query("SELECT status, user_name FROM uploads ORDER BY upload_id DESC LIMIT 1").iloc[0]
    assert (logged.status, logged.user_name) == ("rejected", "eve")  # the attempt is kept for the monitor


def test_no_upload_changes_a_randomized_subjects_arm_even_with_a_reason(study):
    row = _row(study, "SELECT * FROM randomization WHERE site_id = 'S01' ORDER BY subject_id LIMIT 1")
    other = "MINOX" if row["arm"] == "MINOX_MN" else "MINOX_MN"
    result = _as(study, "sam", csv_bytes(RAND, [_line(RAND, dict(row, arm=other))]), reason="arm entered wrongly")
    assert result.status == "rejected"
    [finding] = result.errors
    assert (finding.rule, finding.column, finding.value) == ("allocation_immutable", "arm", other)
    assert "an allocation never changes by upload" in finding.message
    assert study.scalar(f"SELECT arm FROM randomization WHERE subject_id = '{row['subject_id']}'") == row["arm"]
    # the date may still be corrected, with a reason (the arm stays)
    moved = dict(row, randomization_date=row["randomization_date"] + __import__("datetime").timedelta(days=1))
    fixed = _as(study, "sam", csv_bytes(RAND, [_line(RAND, moved)]), reason="date typo")
    assert fixed.status == "loaded" and fixed.corrected == 1, _said(fixed)


def test_a_blinded_monitor_never_reads_a_withheld_value_in_someone_elses_findings(study):
    event = _row(study, "SELECT * FROM adverse_events WHERE site_id = 'S01' AND suspected_cause = 'MICRONEEDLING' LIMIT 1")
    changed = dict(event, suspected_cause="MINOXIDIL", term="redness after the roller")
    rejected = _as(study, "sam", csv_bytes(AE, [_line(AE, changed)]))  # a correction without a reason
    assert rejected.status == "rejected"
    assert "MICRONEEDLING" in _said(rejected)  # site staff of the open-label study may see it
    monitor = ScopedStore(study, Access.of(account(study, "mona")))
    stored = upload_findings(monitor, rejected.upload_id).to_csv()
    assert "MICRONEEDLING" not in stored and "roller" not in stored and "redness" not in stored
    full = upload_findings(study, rejected.upload_id).to_csv()
    assert "MICRONEEDLING" in full  # the same scan finds it for the statistician


def test_a_blinded_uploader_neither_compares_nor_changes_withheld_columns(double_blind):
    event = _row(double_blind, "SELECT * FROM adverse_events WHERE site_id = 'S01' AND suspected_cause = 'MICRONEEDLING' LIMIT 1")
    guessed = dict(event, suspected_cause="MINOXIDIL", term="pain during session")
    result = _as(double_blind, "sam", csv_bytes(AE, [_line(AE, guessed)]), dry_run=True)
    assert result.status == "checked" and result.corrected == 0 and result.unchanged == 1, _said(result)
    again = _as(double_blind, "sam", csv_bytes(AE, [_line(AE, event)]), dry_run=True)
    assert _said(again).replace(str(again.sha256), "") .count("unchanged") >= 1
    # the answer is the same whether the guess was right or wrong: no oracle
    assert (result.corrected, result.unchanged, [f.message for f in result.findings]) == \
        (again.corrected, again.unchanged, [f.message for f in again.findings])
    assert "neither compared nor changed" in result.findings[0].message
    loaded = _as(double_blind, "sam", csv_bytes(AE, [_line(AE, guessed)]))
    assert loaded.status == "loaded"
    kept = _row(double_blind, f"SELECT term, suspected_cause FROM adverse_events WHERE subject_id = '{event['subject_id']}' "
                              f"AND ae_seq = {event['ae_seq']}")
    assert kept == {"term": event["term"], "suspected_cause": "MICRONEEDLING"}


# --------------------------------------------------------------------------- site oracles
def test_a_site_user_uploading_another_sites_row_learns_none_of_its_values(study):
    row = _row(study, "SELECT * FROM hair_counts WHERE site_id = 'S02' ORDER BY subject_id, visit LIMIT 1")
    changed = dict(row, hair_count=row["hair_count"] + 1)
    result = _as(study, "sam", csv_bytes(HAIR, [_line(HAIR, changed)]), dry_run=True)
    assert [f.rule for f in result.findings] == ["upload_scope"]
    assert f"= {row['hair_count']}" not in _said(result) and "already in the study" not in _said(result)


def test_a_row_claiming_the_uploaders_site_for_another_sites_subject_reads_as_an_unknown_subject(study):
    theirs = _row(study, "SELECT * FROM hair_counts WHERE site_id = 'S02' ORDER BY subject_id, visit LIMIT 1")
    claimed = _as(study, "sam", csv_bytes(HAIR, [_line(HAIR, dict(theirs, site_id="S01"))]), dry_run=True)
    nobody = _as(study, "sam", csv_bytes(HAIR, [_line(HAIR, dict(theirs, site_id="S01", subject_id="S02-999"))]), dry_run=True)
    said = _said(claimed)
    assert "S02 " not in said and "belongs to site" not in said and str(theirs["hair_count"]) not in said.split("sha256")[0]
    # the same sentences as for a subject that does not exist at all
    assert [f.message.replace("S02-999", theirs["subject_id"]) for f in nobody.findings] == [f.message for f in claimed.findings]


def test_a_subject_number_used_at_another_site_is_refused_without_its_values(study):
    subjects = "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible"
    theirs = _row(study, "SELECT * FROM subjects WHERE site_id = 'S02' ORDER BY subject_id LIMIT 1")
    mine = dict(theirs, site_id="S01", age=theirs["age"] + 1, sex="F" if theirs["sex"] == "M" else "M")
    result = _as(study, "sam", csv_bytes(subjects, [_line(subjects, mine)]))
    assert result.status == "rejected"
    rules = {f.rule for f in result.errors}
    assert rules == {"key_outside_view"}, _said(result)
    said = _said(result)
    assert f"age = {theirs['age']}" not in said and "sex =" not in said and "S02" not in said.replace(theirs["subject_id"], "")
    assert study.scalar(f"SELECT count(*) FROM subjects WHERE subject_id = '{theirs['subject_id']}'") == 1  # no double


def test_a_randomization_number_used_at_another_site_is_refused_without_naming_its_subject(study):
    subjects = "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible"
    new = _as(study, "sam", csv_bytes(subjects, ["S01,S01-900,2024-01-03,2024-01-03,30,M,AGA,NORWOOD,III,IV,Y"]))
    assert new.status == "loaded", _said(new)
    theirs = _row(study, "SELECT * FROM randomization WHERE site_id = 'S02' ORDER BY subject_id LIMIT 1")
    row = f"S01,S01-900,2024-01-10,MINOX,{theirs['randomization_number']},"
    result = _as(study, "sam", csv_bytes(RAND, [row]), dry_run=True)
    assert [f.rule for f in result.errors] == ["unique_outside_view"]
    assert theirs["subject_id"] not in _said(result)
    # the statistician's own check names the subject (they may see it)
    full = upload_bytes(study, csv_bytes(RAND, [row]), "r.csv", user="stat", dry_run=True)
    assert [f.rule for f in full.errors] == ["randomization_number_unique"] and theirs["subject_id"] in full.errors[0].message


def test_a_multi_site_uploads_stored_findings_reach_each_site_for_its_own_lines_only(study):
    import datetime as dt

    rows = [_row(study, f"SELECT h.*, r.randomization_date FROM hair_counts AS h JOIN randomization AS r USING (subject_id) "
                        f"WHERE h.site_id = '{site}' AND h.visit = 'BASELINE' ORDER BY subject_id LIMIT 1") for site in ("S01", "S02")]
    late = [_line(HAIR, dict(r, assessment_date=r["randomization_date"] + dt.timedelta(days=5))) for r in rows]
    result = upload_bytes(study, csv_bytes(HAIR, late), "both.csv", user="setup", reason="dates from the source")  # an open-study load
    assert result.status == "loaded" and [f.rule for f in result.warnings] == ["visit_window", "visit_window"], _said(result)
    sam = upload_findings(ScopedStore(study, Access.of(account(study, "sam"))), result.upload_id)
    assert sam.line.tolist() == [2] and rows[1]["subject_id"] not in sam.to_csv()
    assert len(upload_findings(study, result.upload_id)) == 2


def test_a_site_user_reads_the_counts_of_their_sites_uploads_only(study):
    from trial.readers.uploads import list_uploads

    mine = _as(study, "sam", csv_bytes(HAIR, ["S01,S01-001,WEEK_4,2024-02-07,TARGET,1,-5,,,,EV1"]))
    seen = list_uploads(ScopedStore(study, Access.of(account(study, "sam")))).set_index("upload_id")
    assert seen.loc[mine.upload_id, "rows_in_file"] == 1 and seen.loc[mine.upload_id, "errors"] == len(mine.errors) > 0
    both_sites = seen.drop(index=mine.upload_id)
    assert len(both_sites) > 0 and both_sites.rows_in_file.isna().all() and both_sites.warnings.isna().all()
    assert list_uploads(study).rows_in_file.notna().all()  # the statistician reads every count
