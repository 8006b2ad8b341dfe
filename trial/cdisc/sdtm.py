"""SDTM datasets (SDTMIG 3.4) of the collected data: DM, DS, AE, PR and FA (the microneedling
sessions and how they were tolerated), XH (hair assessments: a sponsor-defined findings domain),
QS (the global assessments), the supplemental qualifiers SUPPAE, SUPPPR and SUPPXH, and the trial
design datasets (``trial_design``). Why each collected column goes where it does is in
docs/sdtm-mapping.md.

The data are the upload files' rows as the store's reader may read them; the subject-level
derivations (reference dates, whether a subject was treated) are the analysis datasets' own
(``trial/sql/analysis/adsl.sql``): one derivation, not two. Variables are in SDTMIG order; dates
are ISO 8601 text; study days count from RFSTDTC (the randomization) as day 1, with no day 0;
codes are CDISC's submission values (``terminology``)."""

from __future__ import annotations

import pandas as pd

from trial.analysis.datasets import derive, open_datasets
from trial.cdisc import terminology as ct
from trial.cdisc.model import FLOAT, Dataset, Variable, as_float, as_text, iso_date, number_text
from trial.cdisc.sdtm_variables import (AE, DM, DS, FA, GLOBAL_TESTS, HAIR_TESTS, PR, PULL_TESTS, QS, SESSION_TESTS, SUPP,
                                       SUPP_QUALIFIERS, XH)
from trial.cdisc.trial_design import trial_design_datasets
from trial.store.reading import frame
from trial.study import Study, code_words

def sdtm_datasets(store) -> list[Dataset]:
    """The SDTM datasets of the store (as the store's reader may read it): the subject-level ones
    first, then events, interventions, findings, their supplements, and the trial design."""
    cur = store.cursor()
    try:
        open_datasets(cur, materialised=("adsl",))
        adsl = derive(cur, "adsl")
        raw = {table: frame(cur, f"SELECT * FROM {table}") for table in
               ("disposition", "adverse_events", "procedures", "hair_counts", "pull_tests", "global_assessments")}
    finally:
        cur.close()
    study = store.study
    dm = _dm(adsl, study)
    start = dict(zip(adsl.subject_id, pd.to_datetime(adsl.randdt), strict=True))
    ae, supp_ae = _ae(raw["adverse_events"], study, start)
    pr, fa, supp_pr = _sessions(raw["procedures"], study, start)
    xh, supp_xh = _xh(raw["hair_counts"], raw["pull_tests"], study, start)
    datasets = [dm, _ds(adsl, raw["disposition"], study, start), ae, pr, fa, xh, _qs(raw["global_assessments"], study, start)]
    datasets += [s for s in (supp_ae, supp_pr, supp_xh) if s is not None]
    return datasets + trial_design_datasets(study)


def _usubjid(study: Study, subjects: pd.Series) -> pd.Series:
    return study.study.id + "-" + as_text(subjects)


def _constant(value, index) -> pd.Series:
    return pd.Series([value] * len(index), index=index, dtype=object)


def _start(study: Study, domain: str, subjects: pd.Series) -> dict[str, pd.Series]:
    return {"STUDYID": _constant(study.study.id, subjects.index), "DOMAIN": _constant(domain, subjects.index),
            "USUBJID": _usubjid(study, subjects)}


def study_day(dates: pd.Series, subjects: pd.Series, start: dict) -> pd.Series:
    """SDTM's study day of each date: day 1 is the subject's RFSTDTC, the day before it day -1."""
    days = (pd.to_datetime(dates) - pd.to_datetime(subjects.map(start))).dt.days
    return days.where(days < 0, days + 1).astype(float)


def _visits(visits: pd.Series, study: Study) -> dict[str, pd.Series]:
    number = {v: float(i) for i, v in enumerate(study.visit_codes, start=1)}
    return {"VISITNUM": visits.map(number).astype(float), "VISIT": as_text(visits.map({v: code_words(v) for v in study.visit_codes}))}


def _numbered(rows: pd.DataFrame, domain: str, order: list[str]) -> pd.DataFrame:
    """``rows`` sorted by subject then ``order``, with --SEQ 1, 2, … per subject."""
    rows = rows.sort_values(["USUBJID", *order], kind="stable").reset_index(drop=True)
    rows[f"{domain}SEQ"] = (rows.groupby("USUBJID").cumcount() + 1).astype(float)
    return rows


def _dataset(name: str, label: str, structure: str, keys: tuple[str, ...], variables: list[Variable], rows: pd.DataFrame,
             cdisc_class: str, value_level: tuple[str, str, str] | None = None) -> Dataset:
    names = [v.name for v in variables]
    rows = rows[names] if len(rows) else pd.DataFrame({n: pd.Series(dtype=float if v.kind == FLOAT else object)
                                                       for n, v in zip(names, variables, strict=True)})
    return Dataset(name, label, structure, keys, variables, rows.reset_index(drop=True), cdisc_class=cdisc_class,
                   value_level=value_level)


def _dm(adsl: pd.DataFrame, study: Study) -> Dataset:
    labels = {a.code: a.label for a in study.arms}
    country = {s.id: s.country or None for s in study.sites}
    randomized = adsl.ittfl.fillna(False).astype(bool)
    treated = adsl.saffl.fillna(False).astype(bool)
    eligible = adsl.eligfl.fillna(False).astype(bool)
    start, end = iso_date(adsl.randdt), iso_date(adsl.eosdt).where(adsl.eosdt.notna(), iso_date(adsl.lastvisdt))
    arm = as_text(adsl.arm).where(randomized, None)
    actual = arm.where(treated, None)
    reason = pd.Series([None if t else ("ASSIGNED, NOT TREATED" if r else ("NOT ASSIGNED" if e else "SCREEN FAILURE"))
                        for r, t, e in zip(randomized, treated, eligible, strict=True)], index=adsl.index, dtype=object)
    empty = _constant(None, adsl.index)
    rows = pd.DataFrame({
        **_start(study, "DM", adsl.subject_id), "SUBJID": as_text(adsl.subject_id),
        "RFSTDTC": start.where(randomized, None), "RFENDTC": end.where(randomized, None),
        "RFXSTDTC": start.where(treated, None), "RFXENDTC": end.where(treated, None), "RFICDTC": iso_date(adsl.consent_date),
        "RFPENDTC": end.where(end.notna(), iso_date(adsl.screening_date)), "DTHDTC": empty, "DTHFL": empty,
        "SITEID": as_text(adsl.site_id), "AGE": as_float(adsl.age), "AGEU": _constant("YEARS", adsl.index),
        "SEX": ct.submission_values(adsl.sex, ct.SEX, "DM.SEX"), "RACE": empty,
        "ARMCD": arm, "ARM": arm.map(labels, na_action="ignore"), "ACTARMCD": actual, "ACTARM": actual.map(labels, na_action="ignore"),
        "ARMNRS": reason, "ACTARMUD": empty, "COUNTRY": adsl.site_id.map(country).astype(object),
    }).sort_values("USUBJID", kind="stable")
    return _dataset("DM", "Demographics", "One record per subject", ("STUDYID", "USUBJID"), DM, rows, "SPECIAL PURPOSE")


def _ds(adsl: pd.DataFrame, disposition: pd.DataFrame, study: Study, start: dict) -> Dataset:
    parts = []

    def add(subjects, term, decod, cat, dates):  # in the order they happen on one day: consent, screening, randomization, the end
        parts.append(pd.DataFrame({"subject_id": as_text(subjects).to_numpy(), "DSTERM": term, "DSDECOD": decod, "DSCAT": cat,
                                   "date": pd.to_datetime(dates).to_numpy(), "rank": len(parts)}))

    consented = adsl[adsl.consent_date.notna()]
    add(consented.subject_id, "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", consented.consent_date)
    failed = adsl[~adsl.eligfl.fillna(False).astype(bool)]
    add(failed.subject_id, "Not eligible at screening", "SCREEN FAILURE", "DISPOSITION EVENT", failed.screening_date)
    randomized = adsl[adsl.ittfl.fillna(False).astype(bool)]
    add(randomized.subject_id, "RANDOMIZED", "RANDOMIZED", "PROTOCOL MILESTONE", randomized.randdt)
    completed = disposition.status == "COMPLETED"
    decod = ct.submission_values(disposition.reason.where(~completed, None), ct.NCOMPLT, "DS.DSDECOD").where(~completed, "COMPLETED")
    term = disposition.status.map(code_words) + disposition.reason.map(lambda r: f": {code_words(r)}", na_action="ignore").fillna("")
    add(disposition.subject_id, term.to_numpy(), decod.to_numpy(), "DISPOSITION EVENT", disposition.status_date)
    rows = pd.concat(parts, ignore_index=True)
    rows = pd.DataFrame({**_start(study, "DS", rows.subject_id), "DSTERM": as_text(rows.DSTERM), "DSDECOD": as_text(rows.DSDECOD),
                         "DSCAT": as_text(rows.DSCAT), "DSSTDTC": iso_date(rows.date),
                         "DSSTDY": study_day(rows.date, rows.subject_id, start), "order": rows.date, "rank": rows["rank"]})
    rows = _numbered(rows, "DS", ["order", "rank"])
    return _dataset("DS", "Disposition", "One record per disposition status or protocol milestone per subject",
                    ("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC"), DS, rows, "EVENTS")


def _supplement(parent: str, rows: pd.DataFrame, source: pd.DataFrame, study: Study, idvar: str = "") -> Dataset | None:
    """SUPP<parent>: one record per parent record (or group, by ``idvar``) and qualifier that holds a value."""
    idvar = idvar or f"{parent}SEQ"
    ids = (number_text(rows[idvar]) if pd.api.types.is_numeric_dtype(rows[idvar]) else as_text(rows[idvar])).to_numpy()
    parts = []
    for column, qnam, qlabel in SUPP_QUALIFIERS[parent]:
        values = source[column]
        values = number_text(values) if pd.api.types.is_numeric_dtype(values) else as_text(values)
        held = values.notna().to_numpy()
        parts.append(pd.DataFrame({
            "STUDYID": study.study.id, "RDOMAIN": parent, "USUBJID": rows.USUBJID.to_numpy()[held], "IDVAR": idvar,
            "IDVARVAL": ids[held], "QNAM": qnam, "QLABEL": qlabel,
            "QVAL": values.to_numpy()[held], "QORIG": "CRF", "order": rows[f"{parent}SEQ"].to_numpy()[held]}))
    supp = pd.concat(parts, ignore_index=True).astype({c: object for c in [v.name for v in SUPP]})
    if supp.empty:
        return None
    supp = supp.sort_values(["USUBJID", "order", "QNAM"], kind="stable")
    return _dataset(f"SUPP{parent}", f"Supplemental Qualifiers for {parent}", "One record per IDVAR, IDVARVAL, and QNAM value per subject",
                    ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"), SUPP, supp, "RELATIONSHIP")


def _ae(events: pd.DataFrame, study: Study, start: dict) -> tuple[Dataset, Dataset | None]:
    events = events.sort_values(["subject_id", "onset_date", "ae_seq"], kind="stable").reset_index(drop=True)
    rows = pd.DataFrame({
        **_start(study, "AE", events.subject_id), "AESPID": as_text(events.ae_seq), "AETERM": as_text(events.term),
        "AEDECOD": as_text(events.pt), "AEBODSYS": as_text(events.soc),
        "AESEV": ct.submission_values(events.severity, ct.AESEV, "AE.AESEV"), "AESER": ct.submission_values(events.serious, ct.NY, "AE.AESER"),
        "AEACN": ct.submission_values(events.action_taken, ct.ACN, "AE.AEACN"),
        "AEREL": ct.submission_values(events.relationship, ct.AEREL, "AE.AEREL"),
        "AEOUT": ct.submission_values(events.outcome, ct.OUT, "AE.AEOUT"),
        "AESTDTC": iso_date(events.onset_date), "AEENDTC": iso_date(events.resolution_date),
        "AESTDY": study_day(events.onset_date, events.subject_id, start), "AEENDY": study_day(events.resolution_date, events.subject_id, start),
    })
    rows = _numbered(rows, "AE", [])  # already in onset order within each subject
    ae = _dataset("AE", "Adverse Events", "One record per adverse event per subject", ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"),
                  AE, rows, "EVENTS")
    return ae, _supplement("AE", rows, events, study)


def _sessions(procedures: pd.DataFrame, study: Study, start: dict) -> tuple[Dataset, Dataset, Dataset | None]:
    sessions = procedures.sort_values(["subject_id", "session_date"], kind="stable").reset_index(drop=True)
    link = as_text(sessions.groupby("subject_id").cumcount() + 1)
    pr = pd.DataFrame({
        **_start(study, "PR", sessions.subject_id), "PRLNKID": link, "PRTRT": _constant("MICRONEEDLING", sessions.index),
        "PRLOC": _constant("SCALP", sessions.index), "PRSTDTC": iso_date(sessions.session_date),
        "PRSTDY": study_day(sessions.session_date, sessions.subject_id, start),
    })
    pr = _numbered(pr, "PR", [])
    base = pd.DataFrame({  # what every test of a session shares: computed once, not per test
        **_start(study, "FA", sessions.subject_id), "FALNKID": link, "FAOBJ": "MICRONEEDLING",
        "FADTC": iso_date(sessions.session_date), "FADY": study_day(sessions.session_date, sessions.subject_id, start),
        "session": sessions.session_date.to_numpy()})
    parts = []
    for order, (column, code, words, _) in enumerate(SESSION_TESTS):
        value = number_text(sessions[column]) if pd.api.types.is_numeric_dtype(sessions[column]) else as_text(sessions[column])
        number = pd.to_numeric(sessions[column], errors="coerce").astype(float) if column == "pain_vas" else float("nan")
        parts.append(base.assign(FATESTCD=code, FATEST=words, FAORRES=value, FASTRESC=value, FASTRESN=number, test=order))
    fa = pd.concat(parts, ignore_index=True)
    fa = _numbered(fa[fa.FAORRES.notna()], "FA", ["session", "test"])
    return (_dataset("PR", "Procedures", "One record per microneedling session per subject", ("STUDYID", "USUBJID", "PRTRT", "PRSTDTC"),
                     PR, pr, "INTERVENTIONS"),
            _dataset("FA", "Findings About Events or Interventions", "One record per session, test per subject",
                     ("STUDYID", "USUBJID", "FALNKID", "FATESTCD"), FA, fa, "FINDINGS/FINDINGS ABOUT", ("FATESTCD", "FATEST", "FASTRESN")),
            _supplement("PR", pr, sessions, study))


def _findings(source: pd.DataFrame, tests, category: str, study: Study, start: dict, category_order: int) -> pd.DataFrame:
    if source.empty:
        return pd.DataFrame()
    base = pd.DataFrame({  # what every test of an assessment shares: computed once, not per test
        **_start(study, "XH", source.subject_id),
        "XHGRPID": (("PT-" if category == "PULL TEST" else "HC-") + source.visit + "-" + source.region).to_numpy(),
        "XHCAT": category, "XHLOC": as_text(source.region), **_visits(source.visit, study),
        "XHDTC": iso_date(source.assessment_date), "XHDY": study_day(source.assessment_date, source.subject_id, start),
        "category_order": category_order, "region_order": source.region.map({r: i for i, r in enumerate(study.assessments.regions)}),
        "evaluator_id": source.get("evaluator_id", pd.Series(None, index=source.index, dtype=object))})
    parts = []
    for order, (column, code, words, unit) in enumerate(tests):
        number = pd.to_numeric(source[column], errors="coerce").astype(float)
        held = number.notna().to_numpy()
        text, unit_code = number_text(number), ct.UNITS[unit]
        parts.append(base[held].assign(XHTESTCD=code, XHTEST=words, XHORRES=text[held], XHORRESU=unit_code, XHSTRESC=text[held],
                                       XHSTRESN=number[held], XHSTRESU=unit_code, test_order=order))
    return pd.concat(parts, ignore_index=True)


def _xh(hair_counts: pd.DataFrame, pull_tests: pd.DataFrame, study: Study, start: dict) -> tuple[Dataset, Dataset | None]:
    hair_counts = hair_counts.assign(density=hair_counts.hair_count / hair_counts.area_cm2)  # the rule of adhc.sql's DENSITY
    rows = pd.concat([_findings(hair_counts, HAIR_TESTS, "PHOTOTRICHOGRAM", study, start, 0),
                      _findings(pull_tests, PULL_TESTS, "PULL TEST", study, start, 1)], ignore_index=True)
    rows = _numbered(rows, "XH", ["VISITNUM", "category_order", "region_order", "test_order"])
    xh = _dataset("XH", "Hair Assessments", "One record per test per location per visit per subject",
                  ("STUDYID", "USUBJID", "XHTESTCD", "XHLOC", "VISITNUM"), XH, rows, "FINDINGS", ("XHTESTCD", "XHTEST", "XHSTRESN"))
    assessed = rows[rows.XHCAT == "PHOTOTRICHOGRAM"].drop_duplicates(["USUBJID", "XHGRPID"])
    return xh, _supplement("XH", assessed, assessed, study, idvar="XHGRPID")


def _qs(assessments: pd.DataFrame, study: Study, start: dict) -> Dataset:
    order = {a: i for i, a in enumerate(GLOBAL_TESTS)}
    score = pd.to_numeric(assessments.score, errors="coerce").astype(float)
    text = number_text(score)  # as collected: -3 … 3
    rows = pd.DataFrame({
        **_start(study, "QS", assessments.subject_id), "QSTESTCD": as_text(assessments.assessor.map(lambda a: GLOBAL_TESTS[a][0])),
        "QSTEST": as_text(assessments.assessor.map(lambda a: GLOBAL_TESTS[a][1])), "QSCAT": _constant("GLOBAL PHOTOGRAPHIC ASSESSMENT", assessments.index),
        "QSORRES": text, "QSSTRESC": text, "QSSTRESN": score, "QSEVAL": ct.submission_values(assessments.assessor, ct.EVAL, "QS.QSEVAL"),
        **_visits(assessments.visit, study), "QSDTC": iso_date(assessments.assessment_date),
        "QSDY": study_day(assessments.assessment_date, assessments.subject_id, start), "assessor_order": assessments.assessor.map(order),
    })
    rows = _numbered(rows, "QS", ["VISITNUM", "assessor_order"])
    return _dataset("QS", "Questionnaires", "One record per question per visit per subject", ("STUDYID", "USUBJID", "QSTESTCD", "VISITNUM"),
                    QS, rows, "FINDINGS", ("QSTESTCD", "QSTEST", "QSSTRESN"))


