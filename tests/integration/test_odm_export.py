"""`trial export odm`: CDISC ODM 1.3.2 with the audit trail as AuditRecords.

The file is well-formed ODM 1.3.2 with one SubjectData per subject and every OID it names defined
in it; replaying its transactions in order gives each record as the store holds it now, and a
corrected value appears first as loaded and then as corrected, with who, when and why; every coded
value is in its codelist; the export is refused to the blinded and audited."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from helpers import TEAM_PASSWORD, run_as, scenario_store, team_store

from trial.cdisc.export import BlindedExport, export_odm
from trial.governance.users import open_user, sign_in
from trial.ingest.upload import upload_bytes

O = "{http://www.cdisc.org/ns/odm/v1.3}"
REFERENCES = {"ItemOID": "ItemDef", "FormOID": "FormDef", "ItemGroupOID": "ItemGroupDef", "StudyEventOID": "StudyEventDef",
              "CodeListOID": "CodeList", "UserOID": "User", "LocationOID": "Location"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("odm")
    store = scenario_store(folder, "dhurat2013", seed=3)
    lines = (folder / "files" / "hair_counts.csv").read_text().splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    column = header.index("hair_count")
    old = first[column]
    first[column] = str(int(old) + 7)
    corrected = "\n".join([lines[0], ",".join(first)]) + "\n"
    result = upload_bytes(store, corrected.encode(), "hair_counts.csv", user="t", reason="transcription error on the CRF")
    assert result.corrected == 1, result
    subject, visit, region = (first[header.index(k)] for k in ("subject_id", "visit", "region"))
    path = export_odm(store, open_user("stats"), folder / "study.xml")
    yield ET.parse(path).getroot(), store, {"subject": subject, "visit": visit, "region": region, "old": old, "new": first[column]}
    store.close()


def test_well_formed_odm_1_3_2_one_subject_data_per_subject_and_every_oid_resolves(exported):
    root, store, _ = exported
    assert root.tag == f"{O}ODM" and root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Transactional"
    subjects = [s.get("SubjectKey") for s in root.iter(f"{O}SubjectData")]
    assert sorted(subjects) == sorted(store.query("SELECT subject_id FROM subjects").subject_id) and len(set(subjects)) == len(subjects)
    defined = {(e.tag.removeprefix(O), e.get("OID")) for e in root.iter() if e.get("OID")}
    for element in root.iter():
        for attribute, kind in REFERENCES.items():
            if element.get(attribute) and not element.tag.endswith(kind):
                assert (kind, element.get(attribute)) in defined, (element.tag, attribute, element.get(attribute))
    [version] = root.iter(f"{O}MetaDataVersion")
    assert root.find(f"{O}ClinicalData").get("MetaDataVersionOID") == version.get("OID")
    events = [e.get("OID") for e in root.iter(f"{O}StudyEventDef")]
    assert events[1:-1] == [f"SE.{v}" for v in store.study.visit_codes]


def _replayed(root) -> dict:
    """(subject, event, group, repeat key) → item → value, after every transaction in file order."""
    state = {}
    for subject in root.iter(f"{O}SubjectData"):
        for event in subject.iter(f"{O}StudyEventData"):
            for group in event.iter(f"{O}ItemGroupData"):
                record = state.setdefault((subject.get("SubjectKey"), event.get("StudyEventOID"), group.get("ItemGroupOID"),
                                           group.get("ItemGroupRepeatKey")), {})
                for item in group.iter(f"{O}ItemData"):
                    if item.get("TransactionType") == "Remove":
                        record.pop(item.get("ItemOID"), None)
                    else:
                        record[item.get("ItemOID")] = item.get("Value")
    return state


def test_replaying_the_transactions_gives_every_record_as_the_store_holds_it(exported):
    root, store, _ = exported
    state = _replayed(root)
    counts = store.query("SELECT subject_id, visit, region, hair_count, assessment_date FROM hair_counts")
    assert len([k for k in state if k[2] == "IG.HAIR_COUNTS"]) == len(counts)
    for row in counts.itertuples(index=False):
        items = state[(row.subject_id, f"SE.{row.visit}", "IG.HAIR_COUNTS", f"{row.visit} / {row.region}")]
        assert items["IT.HAIR_COUNTS.hair_count"] == str(row.hair_count)
        assert items["IT.HAIR_COUNTS.assessment_date"] == row.assessment_date.date().isoformat()
    events = store.query("SELECT subject_id, ae_seq, pt, severity FROM adverse_events")
    for row in events.itertuples(index=False):
        items = state[(row.subject_id, "SE.COMMON", "IG.ADVERSE_EVENTS", str(row.ae_seq))]
        assert (items["IT.ADVERSE_EVENTS.pt"], items["IT.ADVERSE_EVENTS.severity"]) == (row.pt, row.severity)
    arms = store.query("SELECT subject_id, arm FROM randomization")
    assert {k[0]: v["IT.RANDOMIZATION.arm"] for k, v in state.items() if k[2] == "IG.RANDOMIZATION"} == dict(arms.values.tolist())


def test_a_correction_shows_the_value_as_loaded_then_as_corrected_with_who_when_and_why(exported):
    root, _, known = exported
    [subject] = [s for s in root.iter(f"{O}SubjectData") if s.get("SubjectKey") == known["subject"]]
    [event] = [e for e in subject.iter(f"{O}StudyEventData") if e.get("StudyEventOID") == f"SE.{known['visit']}"]
    groups = [g for g in event.iter(f"{O}ItemGroupData")
              if g.get("ItemGroupOID") == "IG.HAIR_COUNTS" and g.get("ItemGroupRepeatKey") == f"{known['visit']} / {known['region']}"]
    assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
    loaded = {i.get("ItemOID"): i.get("Value") for i in groups[0].iter(f"{O}ItemData")}
    assert loaded["IT.HAIR_COUNTS.hair_count"] == known["old"]
    assert groups[0].find(f"{O}AuditRecord/{O}SourceID").text.startswith("upload ")
    [update] = groups[1].iter(f"{O}ItemData")
    assert (update.get("ItemOID"), update.get("Value")) == ("IT.HAIR_COUNTS.hair_count", known["new"])
    audit = update.find(f"{O}AuditRecord")
    assert audit.find(f"{O}ReasonForChange").text == "transcription error on the CRF"
    assert audit.find(f"{O}UserRef").get("UserOID") == "USR.t" and audit.find(f"{O}DateTimeStamp").text.startswith("20")


def test_every_coded_value_is_in_its_codelist(exported):
    root, _, _ = exported
    codelists = {c.get("OID"): {i.get("CodedValue") for i in c.iter(f"{O}CodeListItem")} for c in root.iter(f"{O}CodeList")}
    coded = {i.get("OID"): i.find(f"{O}CodeListRef").get("CodeListOID") for i in root.iter(f"{O}ItemDef") if i.find(f"{O}CodeListRef") is not None}
    assert {"IT.SUBJECTS.sex", "IT.RANDOMIZATION.arm", "IT.ADVERSE_EVENTS.severity", "IT.HAIR_COUNTS.region"} <= set(coded)
    checked = 0
    for item in root.iter(f"{O}ItemData"):
        if item.get("ItemOID") in coded:
            assert item.get("Value") in codelists[coded[item.get("ItemOID")]], (item.get("ItemOID"), item.get("Value"))
            checked += 1
    assert checked > 100


def test_refused_to_the_blinded_and_audited_for_the_statistician(team_db_copy, tmp_path):
    db, homes = team_db_copy, tmp_path / "homes"
    refused = run_as(db, "mona", homes, ["export", "odm", "--db", db, "--out", tmp_path / "mona.xml"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output and not (tmp_path / "mona.xml").exists()
    done = run_as(db, "stat", homes, ["export", "odm", "--db", db, "--out", tmp_path / "stat.xml"])
    assert done.exit_code == 0, done.output
    assert ET.parse(tmp_path / "stat.xml").getroot().get("ODMVersion") == "1.3.2"
    from trial.store import Store

    with Store.open(db, read_only=True) as reopened:
        trail = reopened.query("SELECT user_name, new_value FROM audit_trail WHERE action = 'EXPORT'")
    assert trail.values.tolist() == [["stat", "ODM file"]]


def test_a_blinded_statistician_is_refused_before_anything_is_written(tmp_path):
    store = team_store(tmp_path, blinded_roles=("STATISTICIAN", "EVALUATOR"))
    try:
        who = sign_in(store, "stat", TEAM_PASSWORD)
        with pytest.raises(BlindedExport, match="ODM file carries each subject's randomization"):
            export_odm(store, who, tmp_path / "out.xml")
        assert not (tmp_path / "out.xml").exists()
    finally:
        store.close()


def test_a_value_xml_cannot_carry_stops_the_export_with_a_sentence(tmp_path):
    import duckdb

    from trial.errors import TrialError

    store = scenario_store(tmp_path, "dhurat2013", seed=5)
    store.close()
    with duckdb.connect(str(tmp_path / "study.duckdb")) as raw:  # as an old database might hold it (uploads refuse it now)
        raw.execute("UPDATE adverse_events SET term = 'itch' || chr(11) || 'ing' WHERE ae_seq = 1")
    from trial.store import Store

    with Store.open(tmp_path / "study.duckdb") as reopened:
        with pytest.raises(TrialError, match=r"adverse_events.term holds 'itch\\x0bing', with a control character XML cannot carry"):
            export_odm(reopened, open_user("stats"), tmp_path / "out.xml")
    assert not list(tmp_path.glob("out.xml*"))  # no half-written file left behind
