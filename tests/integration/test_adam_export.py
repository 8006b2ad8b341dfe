"""`trial export adam`: ADaM datasets as SAS XPT v5 and Dataset-JSON 1.1.

The published results come out of the exported files alone, read with plain pandas; every XPT
reads back the same with pyreadstat and with pandas' own XPORT reader (an independent
implementation: the `xport` package pins pandas < 1.4 and fails on pandas 3); every Dataset-JSON
validates against CDISC's schema (tests/data/cdisc; the checks shared with SDTM are in
tests/cdisc_files.py); the export is refused to the blinded and
recorded in the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from cdisc_files import DEF, ODM, assert_define_resolves, assert_reads_back, assert_valid_dataset_json, read_xpt
from helpers import run_as, scenario_store, team_store

from trial.cdisc.export import BlindedExport, export_adam
from trial.cdisc.model import DATE, TEXT, Dataset, Variable
from trial.cdisc.xpt import NotTransportable, write_xpt
from trial.governance.users import open_user

NAMES = ("adsl", "adhc", "adpt", "adga", "adae")
SCENARIOS = ["dhurat2013", "kumar2018", "starace2019"]


@pytest.fixture(scope="module", params=SCENARIOS)
def exported(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    store = scenario_store(folder, request.param, seed=3)
    written = export_adam(store, open_user("stats"), folder / "adam")
    yield request.param, folder / "adam", written, store
    store.close()


def _xpt(folder: Path, name: str) -> pd.DataFrame:
    return read_xpt(folder, name)


def test_the_published_primary_results_come_out_of_the_exported_adam_alone(exported):
    scenario, folder, _, _ = exported
    adhc, adsl = _xpt(folder, "adhc"), _xpt(folder, "adsl")
    if scenario in ("dhurat2013", "kumar2018"):
        week_12 = adhc[(adhc.PARAMCD == "HAIRCNT") & (adhc.XHLOC == "TARGET") & (adhc.AVISIT == "Week 12") & (adhc.ITTFL == "Y")]
        means = week_12.groupby("TRTPN").CHG.mean()
        decimals = 1 if scenario == "dhurat2013" else 2
        published = {"dhurat2013": [22.2, 91.4], "kumar2018": [1.89, 12.52]}[scenario]
        assert [round(m, decimals) for m in means.sort_index()] == published
        arms = week_12.drop_duplicates("TRTPN").sort_values("TRTPN").TRTP.tolist()
        assert arms[0] == "Topical minoxidil 5 %" and "microneedling" in arms[1]
    else:
        month_6 = adhc[(adhc.PARAMCD == "HAIRDENS") & (adhc.AVISIT == "Month 6") & adhc.PCHG.notna()]
        month_6 = month_6.merge(adsl[["USUBJID", "DIAGCD", "SEX"]], on="USUBJID")
        medians = {}
        for region in ("FRONTAL", "VERTEX"):
            here = month_6[month_6.XHLOC == region]
            medians[("ALL", region)] = here.PCHG.median()
            medians[("TE", region)] = here[here.DIAGCD == "TE"].PCHG.median()
            medians[("AGA M", region)] = here[(here.DIAGCD == "AGA") & (here.SEX == "M")].PCHG.median()
            medians[("AGA F", region)] = here[(here.DIAGCD == "AGA") & (here.SEX == "F")].PCHG.median()
        assert {k: round(v, 2) for k, v in medians.items()} == {
            ("ALL", "FRONTAL"): 36.64, ("ALL", "VERTEX"): 35.10, ("TE", "FRONTAL"): 52.40, ("TE", "VERTEX"): 51.97,
            ("AGA M", "FRONTAL"): 25.16, ("AGA M", "VERTEX"): 17.45, ("AGA F", "FRONTAL"): 32.35, ("AGA F", "VERTEX"): 35.88}


def test_every_xpt_reads_back_the_same_with_two_readers_and_matches_its_dataset_json(exported):
    _, folder, written, _ = exported
    assert sorted(p.name for p in written) == sorted([f"{n}.xpt" for n in NAMES] + [f"{n}.json" for n in NAMES] + ["define.xml"])
    assert_reads_back(folder, NAMES)


def test_every_dataset_json_validates_against_cdiscs_schema(exported):
    _, folder, _, store = exported
    assert_valid_dataset_json(folder, NAMES, store.study.study.id)
    for name in NAMES:
        document = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        keys = sorted((c["keySequence"], c["name"]) for c in document["columns"] if "keySequence" in c)
        assert keys[0] == (1, "STUDYID") and keys[1] == (2, "USUBJID")


def test_adsl_has_one_record_per_subject_and_every_other_subject_is_in_it(exported):
    _, folder, _, store = exported
    adsl = _xpt(folder, "adsl")
    assert adsl.USUBJID.is_unique and len(adsl) == store.scalar("SELECT count(*) FROM subjects")
    assert (adsl.USUBJID == adsl.STUDYID + "-" + adsl.SUBJID).all()
    randomized = adsl[adsl.ITTFL == "Y"]
    assert randomized.RANDDT.notna().all() and adsl[adsl.ITTFL == "N"].TRT01P.fillna("").eq("").all()
    assert set(randomized.EOSSTT) <= {"COMPLETED", "DISCONTINUED", "ONGOING"}
    for name in ("adhc", "adpt", "adga", "adae"):
        other = _xpt(folder, name)
        assert set(other.USUBJID) <= set(adsl.USUBJID), name
    adhc = _xpt(folder, "adhc")
    assert not adhc.duplicated(["USUBJID", "PARAMCD", "XHLOC", "AVISITN"]).any()
    baseline = adhc[adhc.ABLFL == "Y"]
    assert (baseline.AVAL == baseline.BASE).all() and baseline.CHG.isna().all()


def test_a_known_subject_maps_field_by_field(exported):
    scenario, folder, _, store = exported
    if scenario != "dhurat2013":
        pytest.skip("one scenario is enough for the field-by-field check")
    subject = store.query("SELECT s.*, r.randomization_date, r.arm FROM subjects s JOIN randomization r USING (subject_id) "
                          "ORDER BY subject_id LIMIT 1").iloc[0]
    adsl = pyreadstat.read_xport(folder / "adsl.xpt")[0].set_index("SUBJID").loc[subject.subject_id]
    assert adsl.AGE == subject.age and adsl.SEX == subject.sex and adsl.SITEID == subject.site_id
    assert pd.Timestamp(adsl.RANDDT).date() == pd.Timestamp(subject.randomization_date).date()
    assert adsl.TRT01P == {a.code: a.label for a in store.study.arms}[subject.arm]
    counts = store.query("SELECT visit, region, hair_count FROM hair_counts WHERE subject_id = $s", {"s": subject.subject_id})
    adhc = _xpt(folder, "adhc")
    mine = adhc[adhc.USUBJID == f"{store.study.study.id}-{subject.subject_id}"]
    hair = mine[mine.PARAMCD == "HAIRCNT"]
    assert sorted(zip(hair.XHLOC, hair.AVAL, strict=True)) == sorted(zip(counts.region, counts.hair_count.astype(float), strict=True))


def test_the_export_is_refused_to_the_blinded_and_audited_for_the_statistician(team_db_copy, tmp_path):
    db = team_db_copy
    homes = tmp_path / "homes"
    refused = run_as(db, "mona", homes, ["export", "adam", "--db", db, "--out", tmp_path / "mona"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "export the CDISC datasets" in refused.output and not (tmp_path / "mona").exists()
    done = run_as(db, "stat", homes, ["export", "adam", "--db", db, "--out", tmp_path / "stat", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "stat").iterdir()) == sorted([f"{n}.json" for n in NAMES] + ["define.xml"])
    from trial.store import Store

    with Store.open(db, read_only=True) as reopened:
        trail = reopened.query("SELECT user_name, new_value, reason FROM audit_trail WHERE action = 'EXPORT'")
    assert trail.user_name.tolist() == ["stat"] and trail.new_value.tolist() == ["ADaM datasets"]
    assert "ADSL, ADHC, ADPT, ADGA, ADAE" in trail.reason.iloc[0] and "Dataset-JSON 1.1" in trail.reason.iloc[0]


def test_a_blinded_statistician_is_refused_with_a_sentence_and_nothing_is_written(tmp_path):
    store = team_store(tmp_path, blinded_roles=("STATISTICIAN", "EVALUATOR"))
    try:
        from trial.governance.users import sign_in

        who = sign_in(store, "stat", "correct horse battery")
        assert who.blinded
        with pytest.raises(BlindedExport, match="stat is blinded in this study"):
            export_adam(store, who, tmp_path / "out")
        assert not (tmp_path / "out").exists()
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'EXPORT'") == 0
    finally:
        store.close()


def test_a_value_xpt_v5_cannot_carry_is_refused_naming_its_record(tmp_path):
    rows = pd.DataFrame({"USUBJID": ["X-1", "X-2"], "AETERM": ["Erythema", "Érythème"], "ASTDT": [None, None]})
    dataset = Dataset("ADAE", "Adverse events", "One record per event", ("USUBJID",),
                      [Variable("USUBJID", "Unique Subject Identifier", TEXT), Variable("AETERM", "Reported Term", TEXT),
                       Variable("ASTDT", "Analysis Start Date", DATE)], rows)
    with pytest.raises(NotTransportable, match=r"ADAE.AETERM of the record USUBJID X-2 holds 'Érythème', which is not ASCII"):
        write_xpt(dataset, tmp_path)
    assert not (tmp_path / "adae.xpt").exists()


def test_the_define_is_define_xml_2_1_and_every_oid_it_or_a_dataset_json_names_resolves(exported):
    _, folder, written, store = exported
    assert folder / "define.xml" in written
    root, version, items = assert_define_resolves(folder, NAMES)
    sex = [c for c in root.iter(f"{ODM}CodeList") if c.get("OID") == "CL.SEX"][0]
    assert {e.get("CodedValue") for e in sex} <= {"M", "F"} and len(sex)
    adhc_params = [c for c in root.iter(f"{ODM}CodeList") if c.get("OID") == "CL.ADHC.PARAMCD"][0]
    decoded = {e.get("CodedValue"): e.find(f"{ODM}Decode/{ODM}TranslatedText").text for e in adhc_params}
    assert decoded["HAIRCNT"] == "Hair count in the assessed area"
    clauses = {w.find(f"{ODM}RangeCheck/{ODM}CheckValue").text for w in root.iter(f"{DEF}WhereClauseDef") if w.get("OID").startswith("WC.ADHC.")}
    assert clauses == set(decoded)  # value-level metadata: AVAL once per parameter code
    classes = {g.get("Name"): g.find(f"{DEF}Class").get("Name") for g in root.iter(f"{ODM}ItemGroupDef")}  # 2.1: an element
    assert classes == {"ADSL": "SUBJECT LEVEL ANALYSIS DATASET", "ADHC": "BASIC DATA STRUCTURE", "ADPT": "BASIC DATA STRUCTURE",
                       "ADGA": "BASIC DATA STRUCTURE", "ADAE": "OCCURRENCE DATA STRUCTURE"}
    derived = items["IT.ADSL.TRTSDT"].find(f"{DEF}Origin")
    assert derived.get("Type") == "Derived"
    methods = {m.get("OID"): m.find(f"{ODM}Description/{ODM}TranslatedText").text for m in root.iter(f"{ODM}MethodDef")}
    assert "randomization" in methods["MT.ADSL.TRTSDT"]
    assert version.get("OID").startswith(f"MDV.{store.study.study.id}.")
