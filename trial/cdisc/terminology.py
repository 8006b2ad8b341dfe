"""The controlled terminology the SDTM datasets use: each of the study's collected codes mapped to
CDISC's submission value (the codelist's NCI code in the comment). A code the map does not know is
refused by :func:`submission_values`, never passed through unmapped.

Where CDISC publishes no codelist (the causality of an adverse event is sponsor-defined), the
values are the collected codes in words, and the define lists them as the study's own codelist."""

from __future__ import annotations

import pandas as pd

from trial.errors import TrialError

SEX = {"M": "M", "F": "F"}  # C66731
NY = {"Y": "Y", "N": "N"}  # C66742
AESEV = {"MILD": "MILD", "MODERATE": "MODERATE", "SEVERE": "SEVERE"}  # C66769
ACN = {"NONE": "DOSE NOT CHANGED", "INTERRUPTED": "DRUG INTERRUPTED", "WITHDRAWN": "DRUG WITHDRAWN"}  # C66767
OUT = {  # C66768
    "RECOVERED": "RECOVERED/RESOLVED", "RECOVERING": "RECOVERING/RESOLVING", "NOT_RECOVERED": "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED_WITH_SEQUELAE": "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL": "FATAL", "UNKNOWN": "UNKNOWN",
}
AEREL = {  # sponsor-defined (CDISC has no codelist for causality)
    "NOT_RELATED": "NOT RELATED", "UNLIKELY": "UNLIKELY RELATED", "POSSIBLE": "POSSIBLY RELATED",
    "PROBABLE": "PROBABLY RELATED", "DEFINITE": "DEFINITELY RELATED",
}
NCOMPLT = {  # C66727, the reason a subject did not complete (DSDECOD)
    "ADVERSE_EVENT": "ADVERSE EVENT", "LOST_TO_FOLLOW_UP": "LOST TO FOLLOW-UP", "WITHDREW_CONSENT": "WITHDRAWAL BY SUBJECT",
    "PROTOCOL_DEVIATION": "PROTOCOL DEVIATION", "LACK_OF_EFFICACY": "LACK OF EFFICACY", "OTHER": "OTHER",
}
UNITS = {"mm": "mm", "cm2": "cm2", "um": "um", "hairs": "{hairs}", "hairs/cm2": "{hairs}/cm2"}  # C71620 (UCUM-style); a count's unit in braces
EVAL = {"INVESTIGATOR": "INVESTIGATOR", "PATIENT": "STUDY SUBJECT"}  # C78735


class UnmappedTerm(TrialError):
    """A collected code with no submission value in the terminology map."""


def submission_values(values: pd.Series, terms: dict[str, str], what: str) -> pd.Series:
    """``values`` as CDISC submission values (None stays None); a code the map lacks is refused naming it."""
    present = values.dropna()
    unknown = sorted(set(present.astype(str)) - set(terms))
    if unknown:
        raise UnmappedTerm(f"{what}: no CDISC submission value for {', '.join(map(repr, unknown))}; "
                           "add it to trial/cdisc/terminology.py")
    mapped = values.map(terms)  # a dict lookup per distinct value, not a Python call per record
    return mapped.astype(object).where(values.notna(), None)
