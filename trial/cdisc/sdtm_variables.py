"""The SDTM datasets' variables, in SDTMIG 3.4 order, each with its label, origin and the rule that
fills it (the define prints them), and the tests and qualifiers the collected columns become
(docs/sdtm-mapping.md). The datasets are built in ``sdtm``."""

from __future__ import annotations

from trial.cdisc.model import FLOAT, TEXT, Variable

CODELISTS = {
    "DOMAIN": "", "AGEU": "AGEU", "SEX": "SEX", "ARMCD": "ARMCD", "ACTARMCD": "ARMCD", "ARMNRS": "ARMNRS", "COUNTRY": "COUNTRY",
    "DSDECOD": "DSDECOD", "DSCAT": "DSCAT", "AESEV": "AESEV", "AESER": "NY", "AEACN": "ACN", "AEREL": "AEREL", "AEOUT": "OUT",
    "PRTRT": "PRTRT", "PRLOC": "LOC", "FATESTCD": "FATESTCD", "FAOBJ": "FAOBJ", "XHTESTCD": "XHTESTCD", "XHCAT": "XHCAT",
    "XHLOC": "XHLOC", "XHORRESU": "UNIT", "XHSTRESU": "UNIT", "FAORRESU": "UNIT", "FASTRESU": "UNIT", "VISITNUM": "VISITNUM",
    "QSTESTCD": "QSTESTCD", "QSCAT": "QSCAT", "QSEVAL": "EVAL", "QNAM": "", "RDOMAIN": "",
}
HAIR_TESTS = (  # (column of the hair-counts file, XHTESTCD, XHTEST, unit)
    ("area_cm2", "AREA", "Area Assessed", "cm2"), ("hair_count", "HAIRCNT", "Hair Count", "hairs"),
    ("density", "HAIRDENS", "Hair Density", "hairs/cm2"),  # derived: hair_count / area_cm2, as ADHC's HAIRDENS
    ("terminal_count", "TERMCNT", "Terminal Hair Count", "hairs"), ("vellus_count", "VELLCNT", "Vellus Hair Count", "hairs"),
    ("shaft_diameter_um", "SHAFTDIA", "Hair Shaft Diameter", "um"),
)
PULL_TESTS = (("hairs_grasped", "PULLGRSP", "Pull Test Hairs Grasped", "hairs"),
              ("hairs_extracted", "PULLEXTR", "Pull Test Hairs Extracted", "hairs"))
GLOBAL_TESTS = {"INVESTIGATOR": ("GAINV", "Investigator Global Assessment"), "PATIENT": ("GAPAT", "Patient Global Assessment")}
SESSION_TESTS = (("pain_vas", "PAINVAS", "Procedural Pain VAS", ""), ("pinpoint_bleeding", "PINBLEED", "Pinpoint Bleeding", ""))


def _v(name: str, label: str, kind: str = TEXT, comment: str = "", origin: str = "Collected") -> Variable:
    return Variable(name, label, kind, comment, codelist=CODELISTS.get(name, ""), origin=origin)


def _assigned(name: str, label: str, comment: str, kind: str = TEXT) -> Variable:
    return _v(name, label, kind, comment, origin="Assigned")


def _derived(name: str, label: str, comment: str, kind: str = TEXT) -> Variable:
    return _v(name, label, kind, comment, origin="Derived")


def _identifiers(domain: str) -> list[Variable]:
    return [_assigned("STUDYID", "Study Identifier", "The study file's [study] id."),
            _assigned("DOMAIN", "Domain Abbreviation", f"{domain}."),
            _derived("USUBJID", "Unique Subject Identifier", "STUDYID, a hyphen, and SUBJID.")]


def _seq(domain: str, what: str) -> Variable:
    return _derived(f"{domain}SEQ", "Sequence Number", f"1, 2, … per subject, in the order of {what}.", FLOAT)


def _dy(domain: str, dtc: str) -> Variable:
    return _derived(f"{domain}DY" if dtc == "DTC" else f"{domain}{dtc[:2]}DY", "Study Day" if dtc == "DTC" else
                    {"STDTC": "Study Day of Start", "ENDTC": "Study Day of End"}[dtc],
                    f"{domain}{dtc} minus DM.RFSTDTC in days, plus 1 on or after it (day 1 is the randomization; no day 0).",
                    FLOAT)


VISIT = [_derived("VISITNUM", "Visit Number", "The visit's place in the study file's [[visits]] (1 = baseline).", FLOAT),
         _derived("VISIT", "Visit Name", "The visit's code in words (the study file's [[visits]]).")]
DM = [
    *_identifiers("DM"),
    _v("SUBJID", "Subject Identifier for the Study", comment="subject_id of the subjects file."),
    _derived("RFSTDTC", "Subject Reference Start Date/Time", "randomization_date: day 1 of the study for the subject."),
    _derived("RFENDTC", "Subject Reference End Date/Time", "status_date of the disposition file, else the last hair count."),
    _derived("RFXSTDTC", "Date/Time of First Study Treatment",
             "randomization_date for a treated subject: topical minoxidil starts at randomization in every arm."),
    _derived("RFXENDTC", "Date/Time of Last Study Treatment",
             "For a treated subject, the end-of-study date, else the date of the last hair count."),
    _v("RFICDTC", "Date/Time of Informed Consent", comment="consent_date of the subjects file."),
    _derived("RFPENDTC", "Date/Time of End of Participation",
             "The end-of-study date, else the last hair count, else the screening date."),
    _v("DTHDTC", "Date/Time of Death", comment="Not collected by this study: empty."),
    _v("DTHFL", "Subject Death Flag", comment="Not collected by this study: empty."),
    _v("SITEID", "Study Site Identifier", comment="site_id of the subjects file."),
    _v("AGE", "Age", FLOAT, "age of the subjects file, in years at screening."),
    _assigned("AGEU", "Age Units", "YEARS."),
    _v("SEX", "Sex", comment="sex of the subjects file."),
    _v("RACE", "Race", comment="Not collected by this study: empty."),
    _v("ARMCD", "Planned Arm Code", comment="arm of the randomization file; empty when not randomized."),
    _derived("ARM", "Description of Planned Arm", "The label of ARMCD in the study file's [[arms]]."),
    _derived("ACTARMCD", "Actual Arm Code", "ARMCD for a treated subject (analysed as randomized); empty when not treated."),
    _derived("ACTARM", "Description of Actual Arm", "The label of ACTARMCD."),
    _derived("ARMNRS", "Reason Arm and/or Actual Arm is Null",
             "SCREEN FAILURE when not eligible; NOT ASSIGNED when eligible and not randomized; ASSIGNED, NOT TREATED."),
    _v("ACTARMUD", "Description of Unplanned Actual Arm", comment="No unplanned treatment is recorded: empty."),
    _derived("COUNTRY", "Country", "The site's country in the study file's [[sites]] (ISO 3166-1 alpha-3); empty when not given."),
]
DS = [
    *_identifiers("DS"), _seq("DS", "date"),
    _v("DSTERM", "Reported Term for the Disposition Event", comment="The milestone, or status (and reason) of the disposition file in words."),
    _derived("DSDECOD", "Standardized Disposition Term", "INFORMED CONSENT OBTAINED, RANDOMIZED, SCREEN FAILURE, COMPLETED, or the reason (NCOMPLT)."),
    _derived("DSCAT", "Category for Disposition Event", "PROTOCOL MILESTONE or DISPOSITION EVENT."),
    _v("DSSTDTC", "Start Date/Time of Disposition Event", comment="consent_date, randomization_date, screening_date or status_date."),
    _dy("DS", "STDTC"),
]
AE = [
    *_identifiers("AE"), _seq("AE", "onset"),
    _v("AESPID", "Sponsor-Defined Identifier", comment="ae_seq of the adverse-events file."),
    _v("AETERM", "Reported Term for the Adverse Event", comment="term of the adverse-events file (verbatim)."),
    _v("AEDECOD", "Dictionary-Derived Term", comment="pt of the adverse-events file, coded with the study's coding list."),
    _v("AEBODSYS", "Body System or Organ Class", comment="soc of the adverse-events file (the study's coding list)."),
    _v("AESEV", "Severity/Intensity", comment="severity of the adverse-events file."),
    _v("AESER", "Serious Event", comment="serious of the adverse-events file."),
    _v("AEACN", "Action Taken with Study Treatment", comment="action_taken of the adverse-events file (ACN terms)."),
    _v("AEREL", "Causality", comment="relationship of the adverse-events file in words (the study's own codelist)."),
    _v("AEOUT", "Outcome of Adverse Event", comment="outcome of the adverse-events file (OUT terms)."),
    _v("AESTDTC", "Start Date/Time of Adverse Event", comment="onset_date of the adverse-events file."),
    _v("AEENDTC", "End Date/Time of Adverse Event", comment="resolution_date of the adverse-events file."),
    _dy("AE", "STDTC"), _dy("AE", "ENDTC"),
]
PR = [
    *_identifiers("PR"), _seq("PR", "session date"),
    _derived("PRLNKID", "Link ID", "The session's number for the subject (1 = first by date): links its FA records."),
    _assigned("PRTRT", "Reported Name of Procedure", "MICRONEEDLING: every record of the procedures file is a session."),
    _assigned("PRLOC", "Location of Procedure", "SCALP."),
    _v("PRSTDTC", "Start Date/Time of Procedure", comment="session_date of the procedures file."),
    _dy("PR", "STDTC"),
]
FA = [
    *_identifiers("FA"), _seq("FA", "session, then test"),
    _derived("FALNKID", "Link ID", "PRLNKID of the session the finding is about."),
    _derived("FATESTCD", "Findings About Test Short Name", "PAINVAS (pain_vas) or PINBLEED (pinpoint_bleeding)."),
    _derived("FATEST", "Findings About Test Name", "The test in words."),
    _assigned("FAOBJ", "Object of the Observation", "MICRONEEDLING: the session the finding is about."),
    _v("FAORRES", "Result or Finding in Original Units", comment="pain_vas (0–10) or pinpoint_bleeding (Y, N) of the procedures file."),
    _derived("FASTRESC", "Character Result/Finding in Std Format", "FAORRES."),
    _derived("FASTRESN", "Numeric Result/Finding in Standard Units", "FAORRES as a number, for the pain score.", FLOAT),
    _v("FADTC", "Date/Time of Collection", comment="session_date of the procedures file."),
    _dy("FA", "DTC"),
]
XH = [
    *_identifiers("XH"), _seq("XH", "visit, category, location and test"),
    _derived("XHGRPID", "Group ID", "The assessment the record belongs to: category, visit and location (SUPPXH qualifies it)."),
    _derived("XHTESTCD", "Hair Assessment Short Name",
             "The column of the hair-counts or pull-tests file (docs/sdtm-mapping.md); HAIRDENS is hair_count / area_cm2."),
    _derived("XHTEST", "Hair Assessment Name", "The test in words."),
    _derived("XHCAT", "Category for Hair Assessment", "PHOTOTRICHOGRAM (hair-counts file) or PULL TEST (pull-tests file)."),
    _v("XHORRES", "Result or Finding in Original Units", comment="The column's value as collected."),
    _derived("XHORRESU", "Original Units", "The column's unit in the data dictionary."),
    _derived("XHSTRESC", "Character Result/Finding in Std Format", "XHORRES."),
    _derived("XHSTRESN", "Numeric Result/Finding in Standard Units", "XHORRES as a number.", FLOAT),
    _derived("XHSTRESU", "Standard Units", "XHORRESU."),
    _v("XHLOC", "Location of Assessment", comment="region of the hair-counts or pull-tests file (the study file's regions)."),
    *VISIT,
    _v("XHDTC", "Date/Time of Assessment", comment="assessment_date of the file."),
    _dy("XH", "DTC"),
]
QS = [
    *_identifiers("QS"), _seq("QS", "visit, then assessor"),
    _derived("QSTESTCD", "Question Short Name", "GAINV (investigator) or GAPAT (patient)."),
    _derived("QSTEST", "Question Name", "The assessment in words."),
    _assigned("QSCAT", "Category of Question", "GLOBAL PHOTOGRAPHIC ASSESSMENT (-3 to +3)."),
    _v("QSORRES", "Finding in Original Units", comment="score of the global-assessments file."),
    _derived("QSSTRESC", "Character Result/Finding in Std Format", "QSORRES."),
    _derived("QSSTRESN", "Numeric Finding in Standard Units", "QSORRES as a number.", FLOAT),
    _derived("QSEVAL", "Evaluator", "assessor of the global-assessments file: INVESTIGATOR or STUDY SUBJECT."),
    *VISIT,
    _v("QSDTC", "Date/Time of Finding", comment="assessment_date of the global-assessments file."),
    _dy("QS", "DTC"),
]
SUPP = [
    _assigned("STUDYID", "Study Identifier", "The study file's [study] id."),
    _assigned("RDOMAIN", "Related Domain Abbreviation", "The parent domain."),
    _derived("USUBJID", "Unique Subject Identifier", "STUDYID, a hyphen, and SUBJID."),
    _assigned("IDVAR", "Identifying Variable", "The parent's --SEQ (XHGRPID for SUPPXH: the whole assessment)."),
    _derived("IDVARVAL", "Identifying Variable Value", "The parent record's --SEQ (or XHGRPID)."),
    _assigned("QNAM", "Qualifier Variable Name", "The qualifier's name (docs/sdtm-mapping.md)."),
    _assigned("QLABEL", "Qualifier Variable Label", "The qualifier's label."),
    _v("QVAL", "Data Value", comment="The collected value."),
    _assigned("QORIG", "Origin", "CRF: every qualifier is collected."),
]
SUPP_QUALIFIERS = {  # parent → (column, QNAM, QLABEL)
    "AE": (("suspected_cause", "AESUSCAU", "Suspected Cause"),),
    "PR": (("device", "PRDEVICE", "Microneedling Device"), ("needle_mm", "PRNEEDMM", "Needle Length (mm)"),
           ("passes", "PRPASSES", "Number of Passes")),
    "XH": (("evaluator_id", "XHEVALID", "Evaluator Identifier"),),
}
