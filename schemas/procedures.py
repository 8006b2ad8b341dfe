"""procedures: microneedling sessions (exposure and local tolerability)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class Procedures(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    session_date: Series[pa.DateTime] = f.date(required=True)
    device: Series[str] = f.code(required=True, isin=["ROLLER", "PEN"])
    needle_mm: Series[float] = f.decimal(required=True, ge=0.25, le=2.5)
    passes: Series[pd.Int64Dtype] = f.count(ge=1, le=40)
    pain_vas: Series[pd.Int64Dtype] = f.count(ge=0, le=10)
    pinpoint_bleeding: Series[str] = f.code(isin=f.YES_NO)
