"""hair_counts: efficacy assessments by the blinded evaluator."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class HairCounts(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    visit: Series[str] = f.code(required=True)
    assessment_date: Series[pa.DateTime] = f.date(required=True)
    region: Series[str] = f.code(required=True)
    area_cm2: Series[float] = f.decimal(required=True, gt=0, le=10)
    hair_count: Series[pd.Int64Dtype] = f.count(required=True, ge=0, le=2000)
    terminal_count: Series[pd.Int64Dtype] = f.count(ge=0)
    vellus_count: Series[pd.Int64Dtype] = f.count(ge=0)
    shaft_diameter_um: Series[float] = f.decimal(ge=10, le=150)
    evaluator_id: Series[str] = f.text()

    @f.row_rule(
        "terminal_count",
        "{terminal_count} terminal plus {vellus_count} vellus hairs is more than the hair count {hair_count}"
    )
    def parts_within_total(cls, df: pd.DataFrame) -> pd.Series:
        parts = df.terminal_count.fillna(0) + df.vellus_count.fillna(0)
        no_parts = df.terminal_count.isna() & df.vellus_count.isna()
        return no_parts | (parts <= df.hair_count).fillna(True)
