"""subjects: screening, consent and baseline characteristics."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f

NORWOOD = ["I", "II", "IIA", "III", "IIIA", "IIIV", "IV", "IVA", "V", "VA", "VI", "VII"]
LUDWIG = ["I", "II", "III"]
FITZPATRICK = ["I", "II", "III", "IV", "V", "VI"]
SALT_GRADES = [str(n) for n in range(101)]
GRADES = {"NORWOOD": NORWOOD, "LUDWIG": LUDWIG, "SALT": SALT_GRADES}

# What the codes mean, in the order tables list them.
SEX_LABELS = {"M": "Male", "F": "Female"}
DIAGNOSIS_LABELS = {"AGA": "Androgenetic alopecia", "TE": "Telogen effluvium", "AA": "Alopecia areata"}
SCALE_LABELS = {"NORWOOD": "Norwood–Hamilton", "LUDWIG": "Ludwig", "SALT": "SALT score"}
_NORWOOD_NAMES = {"IIA": "IIa", "IIIA": "IIIa", "IIIV": "III vertex", "IVA": "IVa", "VA": "Va"}


def grade_label(graded: str) -> str:
    """``NORWOOD IIIV`` (scale and grade, as the ARD keeps them) → ``Norwood–Hamilton III vertex``."""
    scale, _, grade = graded.partition(" ")
    if scale == "NORWOOD":
        grade = _NORWOOD_NAMES.get(grade, grade)
    return f"{SCALE_LABELS.get(scale, scale)} {grade}".strip()


def grade_order(graded: str) -> tuple[int, int]:
    """Where a graded value comes in a table: by scale, then by grade on its scale."""
    scale, _, grade = graded.partition(" ")
    scales = list(GRADES)
    grades = GRADES.get(scale, [])
    return (scales.index(scale) if scale in scales else len(scales), grades.index(grade) if grade in grades else len(grades))


class Subjects(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    screening_date: Series[pa.DateTime] = f.date(required=True)
    consent_date: Series[pa.DateTime] = f.date(required=True)
    age: Series[pd.Int64Dtype] = f.count(required=True)
    sex: Series[str] = f.code(required=True, isin=list(SEX_LABELS))
    diagnosis: Series[str] = f.code(required=True, isin=list(DIAGNOSIS_LABELS))
    severity_scale: Series[str] = f.code(isin=list(GRADES))
    severity_grade: Series[str] = f.code()
    fitzpatrick: Series[str] = f.code(isin=FITZPATRICK)
    eligible: Series[str] = f.code(required=True, isin=f.YES_NO)

    @f.row_rule("consent_date", "{consent_date} is more than 30 days before the screening date {screening_date}")
    def consent_near_screening(cls, df: pd.DataFrame) -> pd.Series:
        return (df.consent_date >= df.screening_date - pd.Timedelta(days=30)).fillna(True)

    @f.row_rule("severity_grade", "{severity_grade} is not a grade of the {severity_scale} scale")
    def grade_fits_scale(cls, df: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=df.index)
        for scale, grades in GRADES.items():
            on_scale = (df.severity_scale == scale) & df.severity_grade.notna()
            ok &= ~on_scale | df.severity_grade.isin(grades)
        return ok

    @f.row_rule("severity_grade", "{severity_grade} is given without a severity_scale (NORWOOD, LUDWIG or SALT)")
    def grade_has_scale(cls, df: pd.DataFrame) -> pd.Series:
        return df.severity_grade.isna() | df.severity_scale.notna()
