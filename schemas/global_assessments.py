"""global_assessments: investigator and patient global assessment on a 7-point scale."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class GlobalAssessments(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    visit: Series[str] = f.code(required=True)
    assessment_date: Series[pa.DateTime] = f.date(required=True)
    assessor: Series[str] = f.code(required=True, isin=["INVESTIGATOR", "PATIENT"])
    score: Series[pd.Int64Dtype] = f.count(required=True, ge=-3, le=3)
