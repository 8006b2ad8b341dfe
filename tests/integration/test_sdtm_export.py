"""`trial export sdtm`: SDTM IG 3.4 datasets as SAS XPT v5 and Dataset-JSON 1.1, with define.xml.

DM holds one record per subject and every other domain's subjects are in it; every dataset has
the IG's required variables, filled, in the IG's order (the orders below are written out from the
IG here, not taken from the code); for a known subject each domain maps field by field from the
upload files as the store holds them; the files read back with two readers and validate; the
export is refused to the blinded and audited."""

from __future__ import annotations

import pandas as pd
import pytest
from cdisc_files import assert_define_resolves, assert_reads_back, assert_valid_dataset_json, read_xpt
from helpers import TEAM_PASSWORD, run_as, scenario_store, team_store

from trial.cdisc.export import BlindedExport, export_cdisc, export_sdtm
from trial.governance.users import open_user, sign_in

FINDINGS = ["STUDYID", "DOMAIN", "USUBJID", "{d}SEQ", "{d}GRPID", "{d}REFID", "{d}SPID", "{d}LNKID", "{d}TESTCD", "{d}TEST",
            "{d}OBJ", "{d}CAT", "{d}SCAT", "{d}ORRES", "{d}ORRESU", "{d}STRESC", "{d}STRESN", "{d}STRESU", "{d}STAT", "{d}LOC",
            "{d}EVAL", "VISITNUM", "VISIT", "{d}DTC", "{d}DY"]
IG_ORDER = {  # SDTMIG 3.4, the variables of each domain in the IG's order (a subset: those a study like this uses)
    "DM": ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC",
           "DTHDTC", "DTHFL", "SITEID", "INVID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM", "ACTARMCD",
           "ACTARM", "ARMNRS", "ACTARMUD", "COUNTRY", "DMDTC"],
    "DS": ["STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSSPID", "DSTERM", "DSDECOD", "DSCAT", "EPOCH", "DSDTC", "DSSTDTC", "DSSTDY"],
    "AE": ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AESPID", "AETERM", "AEDECOD", "AECAT", "AEBODSYS", "AELOC", "AESEV",
           "AESER", "AEACN", "AEREL", "AEOUT", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY"],
    "PR": ["STUDYID", "DOMAIN", "USUBJID", "PRSEQ", "PRSPID", "PRLNKID", "PRTRT", "PRDECOD", "PRCAT", "PRDOSE", "PRLOC",
           "VISITNUM", "PRSTDTC", "PRENDTC", "PRSTDY", "PRENDY"],
    "FA": [v.format(d="FA") for v in FINDINGS], "XH": [v.format(d="XH") for v in FINDINGS], "QS": [v.format(d="QS") for v in FINDINGS],
    "SUPP": ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"],
    "TS": ["STUDYID", "DOMAIN", "TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL"],
    "TE": ["STUDYID", "DOMAIN", "ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"],
    "TA": ["STUDYID", "DOMAIN", "ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "TATRANS", "EPOCH"],
    "TV": ["STUDYID", "DOMAIN", "VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL", "TVENRL"],
    "TI": ["STUDYID", "DOMAIN", "IETESTCD", "IETEST", "IECAT", "IESCAT", "TIRL", "TIVERS"],
}
REQUIRED = {  # SDTMIG 3.4's Req variables: present and never empty
    "DM": ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "SEX", "COUNTRY"],
    "DS": ["STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSTERM", "DSDECOD"],
    "AE": ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD"],
    "PR": ["STUDYID", "DOMAIN", "USUBJID", "PRSEQ", "PRTRT"],
    "FA": ["STUDYID", "DOMAIN", "USUBJID", "FASEQ", "FATESTCD", "FATEST", "FAOBJ"],
    "XH": ["STUDYID", "DOMAIN", "USUBJID", "XHSEQ", "XHTESTCD", "XHTEST"],
    "QS": ["STUDYID", "DOMAIN", "USUBJID", "QSSEQ", "QSTESTCD", "QSTEST", "QSCAT"],
    "SUPP": ["STUDYID", "RDOMAIN", "USUBJID", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"],
    "TS": ["STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM"],
    "TE": ["STUDYID", "DOMAIN", "ETCD", "ELEMENT", "TESTRL"],
    "TA": ["STUDYID", "DOMAIN", "ARMCD", "ARM", "TAETORD", "ETCD", "EPOCH"],
    "TV": ["STUDYID", "DOMAIN", "VISITNUM", "VISIT"],
    "TI": ["STUDYID", "DOMAIN", "IETESTCD", "IETEST", "IECAT"],
}
NAMES = ("dm", "ds", "ae", "pr", "fa", "xh", "qs", "suppae", "supppr", "suppxh", "ts", "te", "ta", "tv", "ti")
SCENARIOS = ["dhurat2013", "starace2019"]


@pytest.fixture(scope="module", params=SCENARIOS)
def exported(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    store = scenario_store(folder, request.param, seed=3)
    written = export_sdtm(store, open_user("stats"), folder / "sdtm")
    export_cdisc(store, open_user("stats"), "adam", folder / "adam")  # for the checks that SDTM and ADaM agree
    yield request.param, folder / "sdtm", written, store
    store.close()


def _read(folder, name: str) -> pd.DataFrame:
    frame = read_xpt(folder, name)
    return frame.apply(lambda c: c.map(lambda v: v.decode("ascii") if isinstance(v, bytes) else v))


def test_the_files_read_back_with_two_readers_validate_and_the_define_resolves(exported):
    _, folder, written, store = exported
    assert sorted(p.name for p in written) == sorted([f"{n}.{x}" for n in NAMES for x in ("xpt", "json")] + ["define.xml"])
    assert_reads_back(folder, NAMES)
    assert_valid_dataset_json(folder, NAMES, store.study.study.id)
    root, version, items = assert_define_resolves(folder, NAMES)
    from cdisc_files import DEF, ODM

    [standard] = root.iter(f"{DEF}Standard")
    assert (standard.get("Name"), standard.get("Version")) == ("SDTMIG", "3.4")
    groups = {g.get("Name"): g for g in root.iter(f"{ODM}ItemGroupDef")}
    assert groups["DM"].find(f"{DEF}Class").get("Name") == "SPECIAL PURPOSE" and groups["XH"].find(f"{DEF}Class").get("Name") == "FINDINGS"
    assert groups["FA"].find(f"{DEF}Class/{DEF}SubClass").get("Name") == "FINDINGS ABOUT" and groups["AE"].get("Domain") == "AE"
    assert groups["TS"].get("IsReferenceData") == "Yes" and groups["DM"].get("Repeating") == "No"
    assert {w.find(f"{ODM}RangeCheck/{ODM}CheckValue").text for w in root.iter(f"{DEF}WhereClauseDef")
            if w.get("OID").startswith("WC.XH.")} >= {"HAIRCNT", "AREA"}  # XHSTRESN described per test
    arms = [c for c in root.iter(f"{ODM}CodeList") if c.get("OID") == "CL.ARMCD"][0]
    assert {e.get("CodedValue"): e.find(f"{ODM}Decode/{ODM}TranslatedText").text for e in arms} == \
        {a.code: a.label for a in store.study.arms}


def test_dm_has_one_record_per_subject_and_every_domains_subjects_are_in_it(exported):
    _, folder, _, store = exported
    dm = _read(folder, "dm")
    assert dm.USUBJID.is_unique and len(dm) == store.scalar("SELECT count(*) FROM subjects")
    for name in NAMES[1:10]:
        assert set(_read(folder, name).USUBJID) <= set(dm.USUBJID), name
    randomized = store.scalar("SELECT count(*) FROM randomization")
    assert dm.ARMCD.fillna("").ne("").sum() == randomized
    assert (dm.ARMCD.fillna("").eq("") == dm.ARMNRS.isin(["SCREEN FAILURE", "NOT ASSIGNED"])).all()


def test_required_variables_are_present_filled_and_in_ig_order(exported):
    _, folder, _, _ = exported
    for name in NAMES:
        domain = "SUPP" if name.startswith("supp") else name.upper()
        frame = _read(folder, name)
        columns = list(frame.columns)
        unknown = [c for c in columns if c not in IG_ORDER[domain]]
        assert not unknown, (name, unknown)
        assert columns == sorted(columns, key=IG_ORDER[domain].index), name  # the IG's order
        for variable in REQUIRED[domain]:
            assert variable in columns, (name, variable)
            assert frame[variable].notna().all() and frame[variable].astype(str).str.strip().ne("").all(), (name, variable)
        if "DOMAIN" in columns:
            assert set(frame.DOMAIN) == {name.upper()}
        sequence = f"{domain}SEQ"
        if sequence in columns and "USUBJID" in columns:
            assert not frame.duplicated(["USUBJID", sequence]).any(), name
            assert (frame.groupby("USUBJID")[sequence].min() == 1).all(), name


@pytest.fixture(scope="module")
def known(exported):
    scenario, folder, _, store = exported
    if scenario != "dhurat2013":
        pytest.skip("one scenario is enough for the field-by-field checks")
    subject = store.query("SELECT s.*, r.randomization_date, r.arm FROM subjects s JOIN randomization r USING (subject_id) "
                          "WHERE subject_id IN (SELECT subject_id FROM procedures) "
                          "AND subject_id IN (SELECT subject_id FROM adverse_events) ORDER BY subject_id LIMIT 1").iloc[0]
    return folder, store, subject, f"{store.study.study.id}-{subject.subject_id}"


def _day(date, start) -> float:
    days = (pd.Timestamp(date) - pd.Timestamp(start)).days
    return float(days + 1 if days >= 0 else days)


def test_dm_and_ds_of_a_known_subject(known):
    folder, store, subject, usubjid = known
    dm = _read(folder, "dm").set_index("USUBJID").loc[usubjid]
    assert (dm.SUBJID, dm.SITEID, dm.SEX, dm.AGE, dm.AGEU) == (subject.subject_id, subject.site_id, subject.sex, subject.age, "YEARS")
    assert dm.RFSTDTC == str(pd.Timestamp(subject.randomization_date).date()) and dm.RFICDTC == str(pd.Timestamp(subject.consent_date).date())
    assert dm.ARMCD == subject.arm == dm.ACTARMCD and dm.ARM == {a.code: a.label for a in store.study.arms}[subject.arm]
    assert dm.COUNTRY == "IND"
    failed = store.query("SELECT subject_id FROM subjects WHERE eligible = 'N' ORDER BY subject_id LIMIT 1").subject_id.iloc[0]
    assert _read(folder, "dm").set_index("SUBJID").loc[failed].ARMNRS == "SCREEN FAILURE"
    ds = _read(folder, "ds")
    mine = ds[ds.USUBJID == usubjid]
    assert mine.DSDECOD.tolist()[:2] == ["INFORMED CONSENT OBTAINED", "RANDOMIZED"]
    ended = store.query("SELECT status, reason, status_date FROM disposition WHERE subject_id = $s", {"s": subject.subject_id})
    if len(ended):
        last = mine.iloc[-1]
        assert last.DSCAT == "DISPOSITION EVENT" and last.DSSTDTC == str(pd.Timestamp(ended.status_date.iloc[0]).date())
        assert last.DSDECOD == ("COMPLETED" if ended.status.iloc[0] == "COMPLETED" else last.DSDECOD)
    assert mine[mine.DSDECOD == "RANDOMIZED"].DSSTDY.tolist() == [1.0]


def test_ae_and_suppae_of_a_known_subject(known):
    folder, store, subject, usubjid = known
    events = store.query("SELECT * FROM adverse_events WHERE subject_id = $s ORDER BY onset_date, ae_seq", {"s": subject.subject_id})
    ae = _read(folder, "ae")
    mine = ae[ae.USUBJID == usubjid].reset_index(drop=True)
    assert mine.AETERM.tolist() == events.term.tolist() and mine.AEDECOD.tolist() == events.pt.tolist()
    assert mine.AEBODSYS.tolist() == events.soc.tolist() and mine.AESEV.tolist() == events.severity.tolist()
    assert mine.AESTDTC.tolist() == [str(pd.Timestamp(d).date()) for d in events.onset_date]
    assert mine.AESTDY.tolist() == [_day(d, subject.randomization_date) for d in events.onset_date]
    outcome = {"RECOVERED": "RECOVERED/RESOLVED", "RECOVERING": "RECOVERING/RESOLVING", "NOT_RECOVERED": "NOT RECOVERED/NOT RESOLVED"}
    assert [outcome.get(o, o) for o in events.outcome] == mine.AEOUT.tolist()
    supp = _read(folder, "suppae")
    causes = supp[(supp.USUBJID == usubjid) & (supp.QNAM == "AESUSCAU")]
    by_seq = dict(zip(mine.AESEQ.map(lambda s: f"{s:g}"), events.suspected_cause, strict=True))
    assert {k: v for k, v in by_seq.items() if v is not None and v == v} == dict(zip(causes.IDVARVAL, causes.QVAL, strict=True))


def test_pr_fa_and_supppr_of_a_known_subject(known):
    folder, store, subject, usubjid = known
    sessions = store.query("SELECT * FROM procedures WHERE subject_id = $s ORDER BY session_date", {"s": subject.subject_id})
    pr = _read(folder, "pr")
    mine = pr[pr.USUBJID == usubjid]
    assert mine.PRSTDTC.tolist() == [str(pd.Timestamp(d).date()) for d in sessions.session_date]
    assert set(mine.PRTRT) == {"MICRONEEDLING"} and mine.PRLNKID.tolist() == [str(i) for i in range(1, len(sessions) + 1)]
    fa = _read(folder, "fa")
    pain = fa[(fa.USUBJID == usubjid) & (fa.FATESTCD == "PAINVAS")]
    assert pain.FASTRESN.tolist() == sessions.pain_vas.astype(float).tolist() and set(pain.FAOBJ) == {"MICRONEEDLING"}
    supp = _read(folder, "supppr")
    needles = supp[(supp.USUBJID == usubjid) & (supp.QNAM == "PRNEEDMM")]
    assert needles.QVAL.astype(float).tolist() == sessions.needle_mm.tolist()


def test_xh_and_qs_of_a_known_subject(known):
    folder, store, subject, usubjid = known
    counts = store.query("SELECT visit, region, hair_count, area_cm2, assessment_date FROM hair_counts WHERE subject_id = $s",
                         {"s": subject.subject_id})
    xh = _read(folder, "xh")
    mine = xh[(xh.USUBJID == usubjid) & (xh.XHTESTCD == "HAIRCNT")]
    visit_number = {v: float(i) for i, v in enumerate(store.study.visit_codes, start=1)}
    assert sorted(zip(mine.VISITNUM, mine.XHLOC, mine.XHSTRESN, strict=True)) == \
        sorted(zip(counts.visit.map(visit_number), counts.region, counts.hair_count.astype(float), strict=True))
    assert set(mine.XHORRESU) == {"{hairs}"} and set(mine.XHCAT) == {"PHOTOTRICHOGRAM"}
    area = xh[(xh.USUBJID == usubjid) & (xh.XHTESTCD == "AREA")]
    assert set(area.XHORRESU) == {"cm2"} and sorted(area.XHSTRESN) == sorted(counts.area_cm2)
    density = xh[xh.XHTESTCD == "HAIRDENS"].merge(read_xpt(folder.parent / "adam", "adhc").query("PARAMCD == 'HAIRDENS'"),
                                                   left_on=["USUBJID", "XHLOC", "VISITNUM"], right_on=["USUBJID", "XHLOC", "AVISITN"])
    assert len(density) and (density.XHSTRESN - density.AVAL).abs().max() < 1e-9  # the SDTM and ADaM densities agree
    scores = store.query("SELECT visit, assessor, score FROM global_assessments WHERE subject_id = $s", {"s": subject.subject_id})
    qs = _read(folder, "qs")
    mine = qs[qs.USUBJID == usubjid]
    evaluator = {"INVESTIGATOR": "INVESTIGATOR", "PATIENT": "STUDY SUBJECT"}
    assert sorted(zip(mine.VISITNUM, mine.QSEVAL, mine.QSSTRESN, strict=True)) == \
        sorted(zip(scores.visit.map(visit_number), scores.assessor.map(evaluator), scores.score.astype(float), strict=True))


def test_the_trial_design_comes_from_the_study_file(known):
    folder, store, _, _ = known
    study = store.study
    ts = _read(folder, "ts")
    assert ts.set_index("TSPARMCD").TSVAL.loc["TITLE"] == study.study.title
    assert ts[ts.TSPARMCD == "TRT"].TSVAL.tolist() == [a.label for a in study.arms]
    assert ts.set_index("TSPARMCD").TSVAL.loc["AGEMIN"] == f"P{study.eligibility.min_age}Y"
    tv = _read(folder, "tv")
    assert tv.VISITDY.tolist() == [float(v.day + 1) for v in study.visits]
    ta = _read(folder, "ta")
    assert len(ta) == 2 * len(study.arms) and set(ta.EPOCH) == {"SCREENING", "TREATMENT"}
    assert set(_read(folder, "te").ETCD) == {"SCRN", *(a.code for a in study.arms)}


def test_the_export_is_refused_to_the_blinded_and_audited_for_the_statistician(team_db_copy, tmp_path):
    db = team_db_copy
    homes = tmp_path / "homes"
    refused = run_as(db, "mona", homes, ["export", "sdtm", "--db", db, "--out", tmp_path / "mona"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output and not (tmp_path / "mona").exists()
    done = run_as(db, "stat", homes, ["export", "sdtm", "--db", db, "--out", tmp_path / "stat", "--format", "xpt"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "stat").iterdir()) == sorted([f"{n}.xpt" for n in NAMES] + ["define.xml"])
    from trial.store import Store

    with Store.open(db, read_only=True) as reopened:
        trail = reopened.query("SELECT user_name, new_value, reason FROM audit_trail WHERE action = 'EXPORT'")
        stat = reopened.query("SELECT * FROM users WHERE user_name = 'stat'")
    assert trail.values[:, :2].tolist() == [["stat", "SDTM datasets"]] and "DM, DS, AE" in trail.reason.iloc[0]
    assert len(stat) == 1


def test_a_blinded_statistician_is_refused_before_anything_is_written(tmp_path):
    store = team_store(tmp_path, blinded_roles=("STATISTICIAN", "EVALUATOR"))
    try:
        who = sign_in(store, "stat", TEAM_PASSWORD)
        assert who.blinded
        with pytest.raises(BlindedExport, match="SDTM datasets carry each subject's treatment"):
            export_sdtm(store, who, tmp_path / "out")
        assert not (tmp_path / "out").exists()
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'EXPORT'") == 0
    finally:
        store.close()


def test_an_export_that_fails_half_way_leaves_nothing_behind(tmp_path):
    from trial.cdisc.xpt import NotTransportable
    from trial.ingest.upload import upload_bytes

    store = scenario_store(tmp_path, "dhurat2013", seed=6)
    try:
        lines = (tmp_path / "files" / "adverse_events.csv").read_text().splitlines()
        header, first = lines[0].split(","), lines[1].split(",")
        first[header.index("term")] = "érythème"  # UTF-8 is fine in an upload; XPT v5 carries ASCII only
        result = upload_bytes(store, ("\n".join([lines[0], ",".join(first)]) + "\n").encode(), "adverse_events.csv", user="t",
                              reason="verbatim as the patient said it")
        assert result.corrected == 1
        with pytest.raises(NotTransportable, match="AE.AETERM of the record .* holds 'érythème'"):
            export_sdtm(store, open_user("stats"), tmp_path / "sdtm")
        assert not (tmp_path / "sdtm").exists() and not list(tmp_path.glob(".sdtm-*"))  # DM, DS … were not left behind
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'EXPORT'") == 0
        written = export_sdtm(store, open_user("stats"), tmp_path / "json", formats=("json",))  # Dataset-JSON carries it
        assert "érythème" in (tmp_path / "json" / "ae.json").read_text(encoding="utf-8") and len(written) == len(NAMES) + 1
    finally:
        store.close()
