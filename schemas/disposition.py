"""disposition: how each randomized subject ended the study."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f

REASONS = [
    "ADVERSE_EVENT",
    "LOST_TO_FOLLOW_UP",
    "WITHDREW_CONSENT",
    "PROTOCOL_DEVIATION",
    "LACK_OF_EFFICACY",
    "OTHER",
]


class Disposition(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    status: Series[str] = f.code(required=True, isin=["COMPLETED", "DISCONTINUED"])
    status_date: Series[pa.DateTime] = f.date(required=True)
    reason: Series[str] = f.code(isin=REASONS)

    @f.row_rule("reason", "a reason is required when the status is {status}")
    def discontinued_has_reason(cls, df: pd.DataFrame) -> pd.Series:
        return (df.status != "DISCONTINUED") | df.reason.notna()
