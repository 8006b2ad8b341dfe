"""SDTM's trial design datasets, from the study file alone: TS (trial summary), TE (elements), TA
(arms: each arm's path through the elements), TV (planned visits) and TI (inclusion criteria).
Only what the study file declares is summarised; nothing is filled in from elsewhere."""

from __future__ import annotations

import pandas as pd

from trial.cdisc.model import FLOAT, TEXT, Dataset, Variable
from trial.study import Study, code_words

SCREENING = ("SCRN", "Screening")


def _v(name: str, label: str, comment: str, kind: str = TEXT) -> Variable:
    return Variable(name, label, kind, comment, codelist={"ETCD": "ETCD", "ARMCD": "ARMCD", "TSPARMCD": "TSPARMCD",
                                                        "IETESTCD": "IETESTCD", "EPOCH": "EPOCH", "IECAT": "IECAT",
                                                        "VISITNUM": "VISITNUM"}.get(name, ""), origin="Assigned")


def _ids(domain: str) -> list[Variable]:
    return [_v("STUDYID", "Study Identifier", "The study file's [study] id."), _v("DOMAIN", "Domain Abbreviation", f"{domain}.")]


TS = [*_ids("TS"), _v("TSSEQ", "Sequence Number", "1, 2, … per parameter.", FLOAT),
      _v("TSPARMCD", "Trial Summary Parameter Short Name", "The parameter (CDISC's TSPARMCD)."),
      _v("TSPARM", "Trial Summary Parameter", "The parameter in words."),
      _v("TSVAL", "Parameter Value", "From the study file, as docs/sdtm-mapping.md lists.")]
TE = [*_ids("TE"), _v("ETCD", "Element Code", "SCRN, then each arm's code (ARMn when longer than 8)."),
      _v("ELEMENT", "Description of Element", "Screening, or the arm's label."),
      _v("TESTRL", "Rule for Start of Element", "Informed consent, or randomization to the arm."),
      _v("TEENRL", "Rule for End of Element", "Randomization, or the end of study participation.")]
TA = [*_ids("TA"), _v("ARMCD", "Planned Arm Code", "The study file's [[arms]] code."),
      _v("ARM", "Description of Planned Arm", "The arm's label."),
      _v("TAETORD", "Planned Order of Element within Arm", "1 for screening, 2 for the treatment.", FLOAT),
      _v("ETCD", "Element Code", "As TE."), _v("ELEMENT", "Description of Element", "As TE."),
      _v("TABRANCH", "Branch", "The randomization, at the end of screening."),
      _v("EPOCH", "Epoch", "SCREENING or TREATMENT.")]
TV = [*_ids("TV"), _v("VISITNUM", "Visit Number", "The visit's place in the study file's [[visits]].", FLOAT),
      _v("VISIT", "Visit Name", "The visit's code in words."),
      _v("VISITDY", "Planned Study Day of Visit", "The visit's day in the study file plus 1 (SDTM's day 1 is randomization).", FLOAT),
      _v("TVSTRL", "Visit Start Rule", "The visit's window in the study file.")]
TI = [*_ids("TI"), _v("IETESTCD", "Incl/Excl Criterion Short Name", "INCL01, INCL02, …"),
      _v("IETEST", "Inclusion/Exclusion Criterion", "The criterion in words, from the study file's [eligibility]."),
      _v("IECAT", "Inclusion/Exclusion Category", "INCLUSION."), _v("TIVERS", "Protocol Criteria Versions", "1.")]
DIAGNOSES = {"AGA": "androgenetic alopecia", "TE": "telogen effluvium", "AA": "alopecia areata"}


def element_codes(study: Study) -> dict[str, str]:
    """Each arm's element code: the arm's code when it fits SDTM's 8 characters, else ARM1, ARM2, …"""
    return {a.code: a.code if len(a.code) <= 8 else f"ARM{i}" for i, a in enumerate(study.arms, start=1)}


def _frame(study: Study, domain: str, variables: list[Variable], records: list[dict]) -> pd.DataFrame:
    names = [v.name for v in variables]
    rows = pd.DataFrame([{"STUDYID": study.study.id, "DOMAIN": domain, **r} for r in records], columns=names)
    return rows.astype({v.name: float if v.kind == FLOAT else object for v in variables})


def trial_design_datasets(study: Study) -> list[Dataset]:
    elements = element_codes(study)
    design = "TRIAL DESIGN"
    return [
        Dataset("TS", "Trial Summary", "One record per trial summary parameter value", ("STUDYID", "TSPARMCD", "TSSEQ"), TS,
                _frame(study, "TS", TS, _summary(study)), cdisc_class=design),
        Dataset("TE", "Trial Elements", "One record per planned element", ("STUDYID", "ETCD"), TE,
                _frame(study, "TE", TE, [{"ETCD": SCREENING[0], "ELEMENT": SCREENING[1], "TESTRL": "Informed consent",
                                          "TEENRL": "Randomization"}]
                       + [{"ETCD": elements[a.code], "ELEMENT": a.label, "TESTRL": f"Randomization to {a.label}",
                           "TEENRL": "End of study participation"} for a in study.arms]), cdisc_class=design),
        Dataset("TA", "Trial Arms", "One record per planned element per arm", ("STUDYID", "ARMCD", "TAETORD"), TA,
                _frame(study, "TA", TA, [r for a in study.arms for r in (
                    {"ARMCD": a.code, "ARM": a.label, "TAETORD": 1.0, "ETCD": SCREENING[0], "ELEMENT": SCREENING[1],
                     "TABRANCH": f"Randomized to {a.label}" if len(study.arms) > 1 else None, "EPOCH": "SCREENING"},
                    {"ARMCD": a.code, "ARM": a.label, "TAETORD": 2.0, "ETCD": elements[a.code], "ELEMENT": a.label,
                     "TABRANCH": None, "EPOCH": "TREATMENT"})]), cdisc_class=design),
        Dataset("TV", "Trial Visits", "One record per planned visit", ("STUDYID", "VISITNUM"), TV,
                _frame(study, "TV", TV, [{"VISITNUM": float(i), "VISIT": code_words(v.code), "VISITDY": float(v.day + 1 if v.day >= 0 else v.day),
                                          "TVSTRL": _window(v)} for i, v in enumerate(study.visits, start=1)]), cdisc_class=design),
        Dataset("TI", "Trial Inclusion/Exclusion Criteria", "One record per inclusion/exclusion criterion", ("STUDYID", "IETESTCD"), TI,
                _frame(study, "TI", TI, [{"IETESTCD": f"INCL{i:02d}", "IETEST": text, "IECAT": "INCLUSION", "TIVERS": "1"}
                                         for i, text in enumerate(_criteria(study), start=1)]), cdisc_class=design),
    ]


def _window(visit) -> str:
    before, after = visit.day - visit.earliest_day, visit.latest_day - visit.day
    return f"Study day {visit.day} from randomization, {before} day(s) before to {after} after"


def _criteria(study: Study) -> list[str]:
    eligibility = study.eligibility
    diagnoses = ", ".join(DIAGNOSES[d] for d in eligibility.diagnoses)
    return [f"Aged {eligibility.min_age} to {eligibility.max_age} years at informed consent", f"Diagnosed with {diagnoses}"]


def _summary(study: Study) -> list[dict]:
    info, eligibility = study.study, study.eligibility
    planned = sum(s.target_enrolment for s in study.sites)
    values = [
        ("TITLE", "Trial Title", info.title), ("SPONSOR", "Clinical Study Sponsor", info.sponsor or None),
        ("STYPE", "Study Type", "INTERVENTIONAL"), ("NARMS", "Planned Number of Arms", str(len(study.arms))),
        ("RANDOM", "Trial is Randomized", "Y" if len(study.arms) > 1 else "N"),
        ("INTMODEL", "Intervention Model", "PARALLEL" if info.design == "parallel" else "SINGLE GROUP"),
        ("AGEMIN", "Planned Minimum Age of Subjects", f"P{eligibility.min_age}Y"),
        ("AGEMAX", "Planned Maximum Age of Subjects", f"P{eligibility.max_age}Y"),
        ("PLANSUB", "Planned Number of Subjects", str(planned) if planned else None),
    ]
    values = [v for v in values if v[2] is not None]
    values += [("TRT", "Investigational Therapy or Treatment", a.label) for a in study.arms]
    records, seen = [], {}
    for code, words, value in values:
        seen[code] = seen.get(code, 0) + 1
        records.append({"TSSEQ": float(seen[code]), "TSPARMCD": code, "TSPARM": words, "TSVAL": value})
    return records
