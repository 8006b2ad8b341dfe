"""pull_tests: hairs grasped and extracted per region and visit."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class PullTests(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    visit: Series[str] = f.code(required=True)
    assessment_date: Series[pa.DateTime] = f.date(required=True)
    region: Series[str] = f.code(required=True)
    hairs_grasped: Series[pd.Int64Dtype] = f.count(required=True, ge=20, le=100)
    hairs_extracted: Series[pd.Int64Dtype] = f.count(required=True, ge=0)

    @f.row_rule("hairs_extracted", "{hairs_extracted} hairs extracted is more than the {hairs_grasped} grasped")
    def extracted_within_grasped(cls, df: pd.DataFrame) -> pd.Series:
        return (df.hairs_extracted <= df.hairs_grasped).fillna(True)
