"""A CSV template per domain: the header the data dictionary asks for and one example row that loads.

The example is the study's own: its first site, arm, baseline visit, region, coded term and
microneedling settings, so a coordinator of any study sees values their study accepts. The rows
of the eight templates fit together (one subject, consented, screened, randomized, assessed,
treated, with an adverse event, then completed): loaded in domain order, every one loads with no
finding (the tests hold this)."""

from __future__ import annotations

import pandas as pd

from schemas import DOMAINS
from trial.csv_safe import write_csv
from trial.study import Study


def example_row(study: Study, domain: str, *, blinded: bool = False) -> dict[str, str]:
    """The example values of ``domain``'s columns for ``study`` ("" where a column is optional and left
    empty). For a ``blinded`` reader the columns withheld from them hold nothing that could tell an
    arm: the verbatim term is the coded one, the suspected cause is empty."""
    site = study.sites[0].id
    arm = next((a for a in study.arms if a.microneedling), study.arms[0])
    term = study.coding[0]
    procedures = study.procedures
    randomized = "2025-01-15"
    values = {
        "site_id": site, "subject_id": f"{site}-001", "screening_date": "2025-01-06", "consent_date": "2025-01-06",
        "age": str(max(study.eligibility.min_age, min(34, study.eligibility.max_age))), "sex": "M",
        "diagnosis": study.eligibility.diagnoses[0], "severity_scale": "NORWOOD" if study.eligibility.diagnoses[0] == "AGA" else "",
        "severity_grade": "III" if study.eligibility.diagnoses[0] == "AGA" else "", "fitzpatrick": "III", "eligible": "Y",
        "randomization_date": randomized, "arm": arm.code, "randomization_number": "R0001", "stratum": "",
        "visit": study.baseline_visit.code, "assessment_date": randomized, "region": study.assessments.regions[0],
        "area_cm2": "1", "hair_count": "150", "terminal_count": "", "vellus_count": "", "shaft_diameter_um": "",
        "evaluator_id": f"EV-{site}", "hairs_grasped": "60", "hairs_extracted": "3", "assessor": "INVESTIGATOR", "score": "0",
        "ae_seq": "1", "term": "redness after the session", "pt": term.pt, "soc": term.soc, "onset_date": "2025-01-16",
        "resolution_date": "2025-01-18", "severity": "MILD", "serious": "N", "relationship": "POSSIBLE",
        "suspected_cause": "MICRONEEDLING" if arm.microneedling else "MINOXIDIL", "action_taken": "NONE", "outcome": "RECOVERED",
        "session_date": randomized, "device": procedures.device if procedures else "ROLLER",
        "needle_mm": f"{procedures.needle_mm:g}" if procedures else "1.5", "passes": "4", "pain_vas": "3", "pinpoint_bleeding": "Y",
        "status": "COMPLETED", "status_date": "2025-01-20", "reason": "",
    }
    if blinded:
        values |= {"term": term.pt, "suspected_cause": ""}
    return {c.name: values[c.name] for c in DOMAINS[domain].columns}


def template_csv(study: Study, domain: str, *, blinded: bool = False) -> bytes:
    """The template file of ``domain``: its header, then the example row (UTF-8, one line each),
    written as every CSV leaving the system is (``csv_safe``)."""
    return write_csv(pd.DataFrame([example_row(study, domain, blinded=blinded)])).encode("utf-8")
