"""Who sees what, at the store: a site user's view holds their site's rows only; a blinded user's
view holds pooled data only (no arm, no session log, no AE cause or verbatim text, no allocation
rows in the audit trail); uploads are refused outside the uploader's sites and domains; emergency
unblinding and signed lock obey the roles and are audited."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import csv_bytes, load, scenario_store

from trial.governance.access import Access, NotPermitted, Permission, UploadScope, require

from trial.governance.views import ScopedStore
from trial.analysis.ard import ard_for
from trial.analysis.datasets import analysis_dataset
from trial.errors import TrialError
from trial.governance.integrity import verify
from trial.governance.lock import lock_state, signed_lock, signed_unlock
from trial.governance.unblinding import unblind, unblindings
from trial.governance.users import Role, SignInRefused, User, add_user

PASSWORD = "correct horse battery"
STUDY_TABLES = ("subjects", "randomization", "hair_counts", "pull_tests", "global_assessments", "adverse_events",
                "procedures", "disposition")
SITE_A = Access(sites=frozenset({"S01"}), blinded=True)
BLINDED = Access(blinded=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = scenario_store(tmp_path_factory.mktemp("two-sites"), "scale", seed=5, subjects=300)
    assert {s.id for s in store.study.sites} >= {"S01", "S02"}
    add_user(store, "ada", PASSWORD, ["ADMIN"], by="setup")
    add_user(store, "stat", PASSWORD, ["STATISTICIAN"], by="ada")
    add_user(store, "sam", PASSWORD, ["SITE_STAFF"], site_id="S01", by="ada")
    yield store
    store.close()


def test_a_site_user_receives_rows_of_their_own_site_only(store):
    seen = ScopedStore(store, SITE_A)
    for table in STUDY_TABLES:
        sites = seen.query(f"SELECT DISTINCT site_id FROM {table}").site_id.tolist()
        assert set(sites) <= {"S01"}, table
    for name in ("adsl", "adhc", "adpt", "adga", "adae"):
        assert set(analysis_dataset(seen, name).site_id) <= {"S01"}, name
    own = store.scalar("SELECT count(*) FROM randomization WHERE site_id = 'S01'")
    assert 0 < own < store.scalar("SELECT count(*) FROM randomization")
    ard = ard_for(seen)
    itt = ard[(ard.table_id == "BIGN") & (ard.population == "ITT") & (ard.group == "TOTAL")].value.item()
    assert itt == own
    assert [s.id for s in seen.study.sites] == ["S01"]
    # the audit rows are about their subjects (or their uploads), never another site's subject
    keys = seen.query("SELECT record_key FROM audit_trail WHERE record_key IS NOT NULL").record_key
    assert keys.str.startswith("S01-").all()
    assert seen.scalar("SELECT count(*) FROM upload_files") == 0


def test_row_seals_stay_with_full_access(store):
    """A seal hashes a whole row: a reader who could read one could test a guessed arm or another
    site's value against it. Scoped readers see no seals and no seal digests."""
    assert store.scalar("SELECT count(*) FROM row_seals WHERE table_name = 'randomization'") > 0
    assert store.scalar("SELECT count(seal_digest) FROM audit_trail") > 0
    for access in (SITE_A, BLINDED, Access(sites=frozenset({"S01"}))):
        seen = ScopedStore(store, access)
        assert seen.scalar("SELECT count(*) FROM row_seals") == 0
        assert seen.scalar("SELECT count(seal_digest) FROM audit_trail") == 0
        assert seen.scalar("SELECT count(*) FROM audit_trail") > 0


def test_a_blinded_user_receives_pooled_data_only(store):
    seen = ScopedStore(store, BLINDED)
    arm_codes = [a.code for a in store.study.arms]
    assert seen.query("SELECT DISTINCT arm FROM randomization").arm.tolist() == ["ALL"]
    assert set(analysis_dataset(seen, "adsl").arm.dropna()) == {"ALL"}
    assert seen.scalar("SELECT count(*) FROM procedures") == 0
    events = seen.query("SELECT term, pt, suspected_cause FROM adverse_events")
    assert len(events) > 0 and (events.term == events.pt).all() and events.suspected_cause.isna().all()
    assert [a.code for a in seen.study.arms] == ["ALL"] and seen.study.control_arm is None
    assert seen.query("SELECT * FROM study_arms").arm.tolist() == ["ALL"]
    trail = seen.query("SELECT table_name, column_name FROM audit_trail")
    assert not trail.table_name.isin(["randomization", "procedures"]).any()
    findings = seen.query("SELECT f.* FROM findings AS f JOIN uploads AS u USING (upload_id) WHERE u.domain = 'randomization'")
    assert findings.empty
    ard = ard_for(seen)
    assert set(ard.group) <= {"ALL", "TOTAL"}
    text = ard.to_csv(index=False)
    assert not any(code in text.split(",") for code in arm_codes)
    assert not ard.method.isin(["ANCOVA", "WELCH_T", "FISHER", "NEWCOMBE"]).any()


def test_pooled_statistics_equal_an_independent_computation_over_every_subject(store):
    """The blinded primary-endpoint summary is the mean change over all randomized subjects."""
    endpoint = store.study.endpoint
    raw = store.query(
        """
        SELECT h.subject_id, h.visit, h.hair_count FROM hair_counts AS h JOIN randomization USING (subject_id)
        WHERE h.region = $region AND h.visit IN ('BASELINE', $visit)
        """,
        {"region": endpoint.region, "visit": endpoint.visit},
    ).pivot(index="subject_id", columns="visit", values="hair_count").dropna()
    change = (raw[endpoint.visit] - raw["BASELINE"]).to_numpy(dtype=float)
    ard = ard_for(ScopedStore(store, BLINDED))
    row = ard[(ard.table_id == "14.2.1") & (ard.group == "ALL") & (ard.method == "DESCRIPTIVE") & (ard.visit == endpoint.visit)]
    stat = row.set_index("stat").value
    assert stat["n"] == len(change)
    assert stat["mean"] == pytest.approx(np.mean(change))
    assert stat["sd"] == pytest.approx(np.std(change, ddof=1))


def test_the_full_view_is_the_store_itself(store):
    ard = ard_for(store)
    assert {a.code for a in store.study.arms} <= set(ard.group)


def test_uploads_outside_the_uploaders_sites_or_domains_are_refused_line_by_line(store):
    header = "site_id,subject_id,visit,assessment_date,hairs_grasped,hairs_extracted,region"
    other = store.query("SELECT subject_id FROM subjects WHERE site_id = 'S02' LIMIT 1").subject_id.item()
    data = csv_bytes(header, [f"S02,{other},WEEK_12,2024-04-03,60,2,VERTEX"])
    result = load(store, data, name="pull.csv", scope=UploadScope("sam", frozenset({"S01"})), dry_run=True)
    assert result.status == "rejected"
    finding = next(f for f in result.errors if f.rule == "upload_scope")
    assert (finding.line, finding.column, finding.value) == (2, "site_id", "S02")
    assert "S02 is not your site: sam uploads rows of S01 only" in finding.message
    evaluator = UploadScope.of(User("eve", frozenset({Role.EVALUATOR}), "S02"))
    refused = load(store, csv_bytes("site_id,subject_id,status,status_date,reason", [f"S02,{other},COMPLETED,2024-04-03,"]),
                   name="disposition.csv", scope=evaluator, dry_run=True)
    assert [f.message for f in refused.errors] == [
        "eve may not upload disposition files (evaluators upload assessments only); they upload hair_counts, pull_tests, "
        "global_assessments files"]


def test_permissions_refuse_with_a_sentence_naming_the_role_needed():
    monitor = User("mona", frozenset({Role.MONITOR}))
    with pytest.raises(NotPermitted, match=r"mona \(MONITOR\) may not upload files: that needs the role EVALUATOR or SITE_STAFF"):
        require(monitor, Permission.UPLOAD)
    require(User("sam", frozenset({Role.SITE_STAFF}), "S01"), Permission.UPLOAD)
    assert User("x", frozenset({Role.STATISTICIAN, Role.EVALUATOR}), "S01").blinded  # an evaluator never sees arms
    assert not User("x", frozenset({Role.STATISTICIAN})).blinded


def test_emergency_unblinding_needs_the_subjects_site_and_a_reason_and_is_audited(store):
    sam = User("sam", frozenset({Role.SITE_STAFF}), "S01")
    own = store.query("SELECT subject_id, arm FROM randomization WHERE site_id = 'S01' LIMIT 1").iloc[0]
    other = store.query("SELECT subject_id FROM randomization WHERE site_id = 'S02' LIMIT 1").subject_id.item()
    with pytest.raises(TrialError, match="needs a reason"):
        unblind(store, sam, own.subject_id, " ", password=PASSWORD)
    with pytest.raises(TrialError, match=f"{other} is not a subject of your site"):
        unblind(store, sam, other, "severe reaction", password=PASSWORD)
    with pytest.raises(NotPermitted):
        unblind(store, User("mona", frozenset({Role.MONITOR})), own.subject_id, "curious", password=PASSWORD)
    label = unblind(store, sam, own.subject_id, "severe scalp reaction needs the treatment known", password=PASSWORD)
    assert label == next(a.label for a in store.study.arms if a.code == own.arm)
    listed = unblindings(ScopedStore(store, BLINDED))
    assert listed.subject_id.tolist()[0] == own.subject_id and "arm" not in listed.columns
    assert unblindings(ScopedStore(store, Access(sites=frozenset({"S02"}), blinded=True))).empty
    row = store.query("SELECT * FROM audit_trail WHERE action = 'UNBLIND'").iloc[-1]
    assert (row.user_name, row.record_key) == ("sam", own.subject_id) and own.arm not in str(row.to_dict())
    assert verify(store).problems == []


def test_lock_and_unlock_are_signed_with_the_password_by_a_statistician_or_administrator(store):
    stat = User("stat", frozenset({Role.STATISTICIAN}))
    with pytest.raises(NotPermitted, match="may not lock or unlock the database"):
        signed_lock(store, User("sam", frozenset({Role.SITE_STAFF}), "S01"), reason="done", password=PASSWORD)
    with pytest.raises(TrialError, match="signs with their password"):
        signed_lock(store, stat, reason="final data review complete", password=None)
    with pytest.raises(SignInRefused, match="wrong"):
        signed_lock(store, stat, reason="final data review complete", password="not the password")
    assert not lock_state(store).locked
    state = signed_lock(store, stat, reason="final data review complete", password=PASSWORD)
    assert state.locked and state.user_name == "stat"
    signatures = store.query("SELECT action, new_value FROM audit_trail WHERE action LIKE 'E_SIGNATURE%' AND user_name = 'stat' ORDER BY audit_id")
    assert signatures.action.tolist() == ["E_SIGNATURE_FAILED", "E_SIGNATURE"]
    assert signatures.new_value.iloc[-1] == "lock the database: final data review complete"
    signed_unlock(store, User("ada", frozenset({Role.ADMIN})), reason="late query", password=PASSWORD)
    assert not lock_state(store).locked
    assert store.query("SELECT action FROM audit_trail WHERE action IN ('LOCK', 'UNLOCK') ORDER BY audit_id").action.tolist()[-2:] == [
        "LOCK", "UNLOCK"]
