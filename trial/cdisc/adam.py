"""ADaM datasets (ADaMIG 1.3): ADSL, the BDS datasets ADHC (hair counts and density), ADPT (pull
tests) and ADGA (global assessments), and the OCCDS dataset ADAE.

They are the analysis datasets the ARD reads (``trial/sql/analysis/*.sql``), renamed and coded the
CDISC way: one derivation, not two. What ADaM asks for and the analysis datasets do not hold is
derived here, each with its rule in the variable's comment (the define prints it): USUBJID, the
numeric codes (TRT01PN, AVISITN), Y/N flags, the treatment dates. The location of an assessed area
(the study's regions) is XHLOC, the location variable of the sponsor-defined SDTM findings domain
XH (hair assessments) the SDTM export will write: a BDS dataset may carry SDTM variables as they are.
"""

from __future__ import annotations

import pandas as pd

from trial.analysis.datasets import DATASETS, derive, open_datasets
from trial.cdisc.model import DATE, FLOAT, TEXT, Dataset, Variable, as_date, as_float, as_text, yes_no, yes_or_empty
from trial.store.definition import study_parameters
from trial.study import Study, code_words

PARAMETERS = {  # the analysis datasets' param → (PARAMCD, PARAM)
    "HAIR_COUNT": ("HAIRCNT", "Hair count in the assessed area"),
    "DENSITY": ("HAIRDENS", "Hair density (hairs/cm2)"),
    "TERMINAL_COUNT": ("TERMCNT", "Terminal hair count in the assessed area"),
    "SHAFT_DIAM": ("SHAFTDIA", "Hair shaft diameter (um)"),
}
ASSESSORS = {"INVESTIGATOR": ("GAINV", "Investigator global assessment (-3 to +3)"),
             "PATIENT": ("GAPAT", "Patient global assessment (-3 to +3)")}
BDS, BDS_VALUE = "BASIC DATA STRUCTURE", ("PARAMCD", "PARAM", "AVAL")  # AVAL described per PARAMCD in the define
PULL_PARAMETERS = (("PULLGRSP", "Pull test: hairs grasped"), ("PULLEXTR", "Pull test: hairs extracted"),
                   ("PULLPOS", "Pull test positive (1) or negative (0)"))


def _v(name: str, label: str, kind: str = TEXT, comment: str = "", **more) -> Variable:
    return Variable(name, label, kind, comment, codelist=CODELISTS.get(name, ""), **more)


def _p(name: str, label: str, kind: str = TEXT, comment: str = "") -> Variable:
    """A variable copied as it is: from an upload file's column, or from ADSL."""
    return _v(name, label, kind, comment, origin="Predecessor")


CODELISTS = {  # variable → its codelist in the define (values: those in the data)
    "SEX": "SEX", "AGEU": "AGEU", "DIAGCD": "DIAGCD", "SEVSCALE": "SEVSCALE", "FITZPAT": "FITZPAT", "ELIGFL": "NY",
    "ARM": "ARM", "TRT01P": "ARM", "TRT01A": "ARM", "TRTP": "ARM", "TRTA": "ARM", "TRT01PN": "ARMN", "TRT01AN": "ARMN",
    "TRTPN": "ARMN", "TRTAN": "ARMN", "ITTFL": "NY", "SAFFL": "NY", "PPROTFL": "NY", "EOSSTT": "EOSSTT",
    "DCSREAS": "DCSREAS", "PARAMCD": "PARAMCD", "XHLOC": "XHLOC", "AVISIT": "AVISIT", "AVISITN": "AVISITN", "ABLFL": "Y",
    "WINFL": "NY", "ANL01FL": "Y", "AVALC": "PULLRES", "CRIT1FL": "NY", "AESEV": "AESEV", "AESER": "NY", "AEREL": "AEREL",
    "AREL": "AREL", "AEACN": "AEACN", "AEOUT": "AEOUT", "TRTEMFL": "Y", "AEWDFL": "Y",
}


IDENTIFIERS = [
    _v("STUDYID", "Study Identifier", comment="The study file's [study] id.", origin="Assigned"),
    _v("USUBJID", "Unique Subject Identifier", comment="STUDYID, a hyphen, and SUBJID."),
]
TREATMENT = [
    _p("TRTP", "Planned Treatment", comment="ADSL.TRT01P."),
    _p("TRTPN", "Planned Treatment (N)", FLOAT, "ADSL.TRT01PN."),
    _p("TRTA", "Actual Treatment", comment="ADSL.TRT01A."),
    _p("TRTAN", "Actual Treatment (N)", FLOAT, "ADSL.TRT01AN."),
]
POPULATIONS = [
    _p("ITTFL", "Intent-To-Treat Population Flag", comment="ADSL.ITTFL."),
    _p("SAFFL", "Safety Population Flag", comment="ADSL.SAFFL."),
    _p("PPROTFL", "Per-Protocol Population Flag", comment="ADSL.PPROTFL."),
]
VISIT = [
    _v("AVISIT", "Analysis Visit", comment="The visit's name in words (the study file's [[visits]] code)."),
    _v("AVISITN", "Analysis Visit (N)", FLOAT, "The visit's place in the study file's order (1 = baseline)."),
]

ADSL = [
    *IDENTIFIERS,
    _p("SUBJID", "Subject Identifier for the Study", comment="subject_id of the subjects file."),
    _p("SITEID", "Study Site Identifier", comment="site_id of the subjects file."),
    _p("AGE", "Age", FLOAT, "age of the subjects file, in years at screening."),
    _v("AGEU", "Age Units", comment="YEARS.", origin="Assigned"),
    _p("SEX", "Sex", comment="sex of the subjects file (M, F)."),
    _p("DIAGCD", "Diagnosis (Code)", comment="diagnosis of the subjects file: AGA, TE or AA."),
    _p("SEVSCALE", "Severity Scale", comment="severity_scale of the subjects file."),
    _p("SEVGRADE", "Severity Grade", comment="severity_grade of the subjects file."),
    _p("FITZPAT", "Fitzpatrick Skin Type", comment="fitzpatrick of the subjects file."),
    _p("SCRNDT", "Date of Screening", DATE, "screening_date of the subjects file."),
    _p("CONSDT", "Date of Informed Consent", DATE, "consent_date of the subjects file."),
    _v("ELIGFL", "Eligible Flag", comment="Y when the subjects file says eligible = Y."),
    _v("ARM", "Description of Planned Arm", comment="The label of the randomized arm; empty when not randomized."),
    _v("TRT01P", "Planned Treatment for Period 01", comment="As ARM."),
    _v("TRT01PN", "Planned Treatment for Period 01 (N)", FLOAT, "The arm's place in the study file's [[arms]] (1 = first)."),
    _v("TRT01A", "Actual Treatment for Period 01", comment="As TRT01P: every subject is analysed as randomized (no actual-treatment record)."),
    _v("TRT01AN", "Actual Treatment for Period 01 (N)", FLOAT, "As TRT01PN."),
    _p("RANDDT", "Date of Randomization", DATE, "randomization_date of the randomization file."),
    _p("RANDNO", "Randomization Number", comment="randomization_number of the randomization file."),
    _v("TRTSDT", "Date of First Exposure to Treatment", DATE,
       "RANDDT for the safety population: topical minoxidil, in every arm, starts at randomization."),
    _v("TRTEDT", "Date of Last Exposure to Treatment", DATE,
       "For the safety population, the end-of-study date, else the date of the last hair count."),
    _v("ITTFL", "Intent-To-Treat Population Flag", comment="Y when randomized."),
    _v("SAFFL", "Safety Population Flag",
       comment="Y when randomized and treated: a microneedling session, or a hair count after randomization (on minoxidil)."),
    _v("PPROTFL", "Per-Protocol Population Flag",
       comment="Y when completed, with the endpoint's hair count at the primary visit inside that visit's window."),
    _v("EOSSTT", "End of Study Status", comment="status of the disposition file; ONGOING for a randomized subject without one."),
    _p("EOSDT", "End of Study Date", DATE, "status_date of the disposition file."),
    _p("DCSREAS", "Reason for Discontinuation from Study", comment="reason of the disposition file."),
    _v("LSTVISDT", "Date of Last Hair Count", DATE, "The latest assessment_date of the subject's hair counts."),
]
ADHC = [
    *IDENTIFIERS, _p("SITEID", "Study Site Identifier", comment="ADSL.SITEID."), *TREATMENT, *POPULATIONS,
    _v("PARAMCD", "Parameter Code", comment="HAIRCNT, HAIRDENS (hair_count / area_cm2), TERMCNT, SHAFTDIA."),
    _v("PARAM", "Parameter", comment="The parameter in words."),
    _p("XHLOC", "Location of the Assessed Area", comment="region of the hair-counts file (the study file's regions)."),
    *VISIT,
    _p("ADT", "Analysis Date", DATE, "assessment_date of the hair-counts file."),
    _v("ADY", "Analysis Relative Day", FLOAT, "ADT minus RANDDT, in days (0 on the day of randomization)."),
    _v("ABLFL", "Baseline Record Flag", comment="Y at the study file's baseline visit."),
    _v("AVAL", "Analysis Value", FLOAT, "The value of the parameter as collected (density: hair_count / area_cm2)."),
    _v("BASE", "Baseline Value", FLOAT, "AVAL at the baseline visit, same parameter and location."),
    _v("CHG", "Change from Baseline", FLOAT, "AVAL minus BASE after baseline."),
    _v("PCHG", "Percent Change from Baseline", FLOAT, "100 × CHG / BASE after baseline, where BASE is not 0."),
    _v("WINFL", "Within Visit Window Flag", comment="Y when ADY is inside the visit's window in the study file."),
    _v("ANL01FL", "Analysis Flag 01", comment="Y on every record with a value: the tables analyse observed cases."),
]
ADPT = [
    *IDENTIFIERS, _p("SITEID", "Study Site Identifier", comment="ADSL.SITEID."), *TREATMENT, *POPULATIONS,
    _v("PARAMCD", "Parameter Code", comment="PULLGRSP, PULLEXTR, PULLPOS."),
    _v("PARAM", "Parameter", comment="The parameter in words."),
    _p("XHLOC", "Location of the Assessed Area", comment="region of the pull-tests file."),
    *VISIT,
    _p("ADT", "Analysis Date", DATE, "assessment_date of the pull-tests file."),
    _v("ABLFL", "Baseline Record Flag", comment="Y at the study file's baseline visit."),
    _v("AVAL", "Analysis Value", FLOAT, "Hairs grasped or extracted; for PULLPOS 1 when positive, else 0."),
    _v("AVALC", "Analysis Value (C)", comment="For PULLPOS: POSITIVE when more than the study's percentage of the grasped hairs came out."),
]
ADGA = [
    *IDENTIFIERS, _p("SITEID", "Study Site Identifier", comment="ADSL.SITEID."), *TREATMENT, *POPULATIONS,
    _v("PARAMCD", "Parameter Code", comment="GAINV (investigator), GAPAT (patient)."),
    _v("PARAM", "Parameter", comment="The assessment in words."),
    *VISIT,
    _p("AVAL", "Analysis Value", FLOAT, "score of the global-assessments file, -3 to +3."),
    _v("CRIT1", "Analysis Criterion 1", comment="The responder criterion of the study file."),
    _v("CRIT1FL", "Criterion 1 Evaluation Result Flag", comment="Y when AVAL meets CRIT1, else N."),
]
ADAE = [
    *IDENTIFIERS, _p("SITEID", "Study Site Identifier", comment="ADSL.SITEID."),
    _p("TRTA", "Actual Treatment", comment="ADSL.TRT01A."), _p("TRTAN", "Actual Treatment (N)", FLOAT, "ADSL.TRT01AN."),
    _p("SAFFL", "Safety Population Flag", comment="ADSL.SAFFL."),
    _p("AESEQ", "Sequence Number", FLOAT, "ae_seq of the adverse-events file."),
    _p("AETERM", "Reported Term for the Adverse Event", comment="term (verbatim) of the adverse-events file."),
    _v("AEDECOD", "Dictionary-Derived Term", comment="pt: the preferred term of the study's coding list."),
    _v("AEBODSYS", "Body System or Organ Class", comment="soc: the system organ class of the study's coding list."),
    _p("ASTDT", "Analysis Start Date", DATE, "onset_date of the adverse-events file."),
    _p("AENDT", "Analysis End Date", DATE, "resolution_date of the adverse-events file."),
    _v("ASTDY", "Analysis Start Relative Day", FLOAT, "ASTDT minus RANDDT, in days."),
    _p("AESEV", "Severity/Intensity", comment="severity (MILD, MODERATE, SEVERE) of the adverse-events file."),
    _p("AESER", "Serious Event", comment="serious (Y, N) of the adverse-events file."),
    _p("AEREL", "Causality", comment="relationship of the adverse-events file."),
    _v("AREL", "Analysis Causality", comment="RELATED when AEREL is POSSIBLE, PROBABLE or DEFINITE, else NOT RELATED."),
    _p("AEACN", "Action Taken with Study Treatment", comment="action_taken of the adverse-events file."),
    _p("AEOUT", "Outcome of Adverse Event", comment="outcome of the adverse-events file."),
    _v("TRTEMFL", "Treatment Emergent Analysis Flag", comment="Y when ASTDT is on or after RANDDT."),
    _v("AEWDFL", "Led to Withdrawal Flag", comment="Y when AEACN is WITHDRAWN."),
]


def adam_datasets(store) -> list[Dataset]:
    """The ADaM datasets of the store (as the store's reader may read it), in the order a reviewer
    reads them: ADSL first."""
    cur = store.cursor()
    try:
        open_datasets(cur, materialised=("adsl",))
        source = {name: derive(cur, name) for name in DATASETS}
    finally:
        cur.close()
    study = store.study
    adsl = _adsl(source["adsl"], study)
    per_subject = adsl.rows.set_index("SUBJID")
    return [adsl, _adhc(source["adhc"], study, per_subject), _adpt(source["adpt"], study, per_subject),
            _adga(source["adga"], study, per_subject), _adae(source["adae"], study, per_subject)]


def _identifiers(study: Study, subjects: pd.Series) -> dict[str, pd.Series]:
    subjects = as_text(subjects)
    return {"STUDYID": pd.Series(study.study.id, index=subjects.index, dtype=object), "USUBJID": study.study.id + "-" + subjects}


def _from_adsl(per_subject: pd.DataFrame, subjects: pd.Series, names: list[str]) -> dict[str, pd.Series]:
    chosen = per_subject.loc[subjects.to_numpy(), names]
    return {name: pd.Series(chosen[name].to_numpy(), index=subjects.index, dtype=chosen[name].dtype) for name in names}


def _adsl(adsl: pd.DataFrame, study: Study) -> Dataset:
    labels = {a.code: a.label for a in study.arms}
    numbers = {a.code: float(i) for i, a in enumerate(study.arms, start=1)}
    arm = as_text(adsl.arm.map(labels))
    randomized = adsl.ittfl.fillna(False).astype(bool)
    safety = adsl.saffl.fillna(False).astype(bool)
    status = as_text(adsl.eosstt)
    status[randomized & status.isna()] = "ONGOING"
    end = as_date(adsl.eosdt).where(adsl.eosdt.notna(), as_date(adsl.lastvisdt))
    rows = pd.DataFrame({
        **_identifiers(study, adsl.subject_id),
        "SUBJID": as_text(adsl.subject_id), "SITEID": as_text(adsl.site_id), "AGE": as_float(adsl.age),
        "AGEU": pd.Series("YEARS", index=adsl.index, dtype=object), "SEX": as_text(adsl.sex), "DIAGCD": as_text(adsl.diagnosis),
        "SEVSCALE": as_text(adsl.severity_scale), "SEVGRADE": as_text(adsl.severity_grade), "FITZPAT": as_text(adsl.fitzpatrick),
        "SCRNDT": as_date(adsl.screening_date), "CONSDT": as_date(adsl.consent_date), "ELIGFL": yes_no(adsl.eligfl),
        "ARM": arm, "TRT01P": arm, "TRT01PN": adsl.arm.map(numbers).astype(float), "TRT01A": arm,
        "TRT01AN": adsl.arm.map(numbers).astype(float), "RANDDT": as_date(adsl.randdt), "RANDNO": as_text(adsl.randomization_number),
        "TRTSDT": as_date(adsl.randdt).where(safety, None), "TRTEDT": end.where(safety, None),
        "ITTFL": yes_no(adsl.ittfl), "SAFFL": yes_no(adsl.saffl), "PPROTFL": yes_no(adsl.pprotfl),
        "EOSSTT": status, "EOSDT": as_date(adsl.eosdt), "DCSREAS": as_text(adsl.dcsreas), "LSTVISDT": as_date(adsl.lastvisdt),
    })
    return Dataset("ADSL", "Subject-Level Analysis Dataset", "One record per screened subject", ("STUDYID", "USUBJID"),
                   ADSL, rows.sort_values("USUBJID", kind="stable").reset_index(drop=True), cdisc_class="SUBJECT LEVEL ANALYSIS DATASET")


def _bds_start(frame: pd.DataFrame, study: Study, per_subject: pd.DataFrame) -> dict[str, pd.Series]:
    adsl = _from_adsl(per_subject, frame.subject_id, ["SITEID", "TRT01P", "TRT01PN", "TRT01A", "TRT01AN", "ITTFL", "SAFFL", "PPROTFL"])
    return {**_identifiers(study, frame.subject_id), "SITEID": adsl["SITEID"], "TRTP": adsl["TRT01P"], "TRTPN": adsl["TRT01PN"],
            "TRTA": adsl["TRT01A"], "TRTAN": adsl["TRT01AN"], "ITTFL": adsl["ITTFL"], "SAFFL": adsl["SAFFL"], "PPROTFL": adsl["PPROTFL"]}


def _visits(frame: pd.DataFrame, study: Study) -> dict[str, pd.Series]:
    return {"AVISIT": as_text(frame.avisit.map({v: code_words(v) for v in study.visit_codes})), "AVISITN": as_float(frame.avisitn)}


def _sorted(rows: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    return rows.sort_values(list(keys), kind="stable").reset_index(drop=True)


def _adhc(adhc: pd.DataFrame, study: Study, per_subject: pd.DataFrame) -> Dataset:
    rows = pd.DataFrame({
        **_bds_start(adhc, study, per_subject),
        "PARAMCD": as_text(adhc.param.map({p: c for p, (c, _) in PARAMETERS.items()})),
        "PARAM": as_text(adhc.param.map({p: label for p, (_, label) in PARAMETERS.items()})), "XHLOC": as_text(adhc.region),
        **_visits(adhc, study), "ADT": as_date(adhc.adt), "ADY": as_float(adhc.ady), "ABLFL": yes_or_empty(adhc.ablfl),
        "AVAL": as_float(adhc.aval), "BASE": as_float(adhc.base), "CHG": as_float(adhc.chg), "PCHG": as_float(adhc.pchg),
        "WINFL": yes_no(adhc.winfl), "ANL01FL": yes_or_empty(adhc.aval.notna()),
    })
    keys = ("STUDYID", "USUBJID", "PARAMCD", "XHLOC", "AVISITN")
    return Dataset("ADHC", "Hair Counts Analysis Dataset", "One record per subject, parameter, location and visit", keys,
                   ADHC, _sorted(rows, keys), cdisc_class=BDS, value_level=BDS_VALUE)


def _adpt(adpt: pd.DataFrame, study: Study, per_subject: pd.DataFrame) -> Dataset:
    values = {"PULLGRSP": as_float(adpt.hairs_grasped), "PULLEXTR": as_float(adpt.hairs_extracted),
              "PULLPOS": adpt.positive.astype(float)}
    parts = []
    for code, label in PULL_PARAMETERS:
        parts.append(pd.DataFrame({
            **_bds_start(adpt, study, per_subject),
            "PARAMCD": pd.Series(code, index=adpt.index, dtype=object), "PARAM": pd.Series(label, index=adpt.index, dtype=object),
            "XHLOC": as_text(adpt.region), **_visits(adpt, study), "ADT": as_date(adpt.adt), "ABLFL": yes_or_empty(adpt.ablfl),
            "AVAL": values[code],
            "AVALC": as_text(adpt.positive.map({True: "POSITIVE", False: "NEGATIVE"})) if code == "PULLPOS" else as_text(pd.Series(None, index=adpt.index)),
        }))
    keys = ("STUDYID", "USUBJID", "PARAMCD", "XHLOC", "AVISITN")
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[v.name for v in ADPT])
    return Dataset("ADPT", "Pull Test Analysis Dataset", "One record per subject, parameter, location and visit", keys,
                   ADPT, _sorted(rows, keys), cdisc_class=BDS, value_level=BDS_VALUE)


def _adga(adga: pd.DataFrame, study: Study, per_subject: pd.DataFrame) -> Dataset:
    least = int(study_parameters(study)["responder_min_score"])  # the rule adga.sql applies
    rows = pd.DataFrame({
        **_bds_start(adga, study, per_subject),
        "PARAMCD": as_text(adga.assessor.map({a: c for a, (c, _) in ASSESSORS.items()})),
        "PARAM": as_text(adga.assessor.map({a: label for a, (_, label) in ASSESSORS.items()})),
        **_visits(adga, study), "AVAL": as_float(adga.score),
        "CRIT1": pd.Series(f"Score of {least:+d} or more", index=adga.index, dtype=object), "CRIT1FL": yes_no(adga.respfl),
    })
    keys = ("STUDYID", "USUBJID", "PARAMCD", "AVISITN")
    return Dataset("ADGA", "Global Assessment Analysis Dataset", "One record per subject, assessor and visit", keys,
                   ADGA, _sorted(rows, keys), cdisc_class=BDS, value_level=BDS_VALUE)


def _adae(adae: pd.DataFrame, study: Study, per_subject: pd.DataFrame) -> Dataset:
    adsl = _from_adsl(per_subject, adae.subject_id, ["SITEID", "TRT01A", "TRT01AN", "SAFFL", "RANDDT"])
    start = as_date(adae.astdt)
    randomized = pd.to_datetime(adsl["RANDDT"])
    rows = pd.DataFrame({
        **_identifiers(study, adae.subject_id), "SITEID": adsl["SITEID"], "TRTA": adsl["TRT01A"], "TRTAN": adsl["TRT01AN"],
        "SAFFL": adsl["SAFFL"], "AESEQ": as_float(adae.ae_seq), "AETERM": as_text(adae.term), "AEDECOD": as_text(adae.pt),
        "AEBODSYS": as_text(adae.soc), "ASTDT": start, "AENDT": as_date(adae.aendt),
        "ASTDY": (pd.to_datetime(adae.astdt) - randomized).dt.days.astype(float),
        "AESEV": as_text(adae.severity), "AESER": yes_no(adae.serfl), "AEREL": as_text(adae.relationship),
        "AREL": as_text(adae.relfl.map({True: "RELATED", False: "NOT RELATED"})), "AEACN": as_text(adae.action_taken),
        "AEOUT": as_text(adae.outcome), "TRTEMFL": yes_or_empty(adae.trtemfl), "AEWDFL": yes_or_empty(adae.withdrfl),
    })
    keys = ("STUDYID", "USUBJID", "AESEQ")
    return Dataset("ADAE", "Adverse Events Analysis Dataset", "One record per adverse event", keys, ADAE, _sorted(rows, keys),
                   cdisc_class="OCCURRENCE DATA STRUCTURE")
