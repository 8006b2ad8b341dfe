"""adverse_events: verbatim term, coded preferred term, dates, severity and attribution."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class AdverseEvents(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    ae_seq: Series[pd.Int64Dtype] = f.count(required=True, ge=1)
    term: Series[str] = f.text(required=True)
    pt: Series[str] = f.text(required=True)
    soc: Series[str] = f.text(required=True)
    onset_date: Series[pa.DateTime] = f.date(required=True)
    resolution_date: Series[pa.DateTime] = f.date()
    severity: Series[str] = f.code(required=True, isin=["MILD", "MODERATE", "SEVERE"])
    serious: Series[str] = f.code(required=True, isin=f.YES_NO)
    relationship: Series[str] = f.code(
        required=True, isin=["NOT_RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE", "DEFINITE"]
    )
    suspected_cause: Series[str] = f.code(isin=["MINOXIDIL", "MICRONEEDLING", "BOTH", "OTHER"])
    action_taken: Series[str] = f.code(isin=["NONE", "INTERRUPTED", "WITHDRAWN"])
    outcome: Series[str] = f.code(
        required=True,
        isin=["RECOVERED", "RECOVERING", "NOT_RECOVERED", "RECOVERED_WITH_SEQUELAE", "FATAL", "UNKNOWN"],
    )

    @f.row_rule("resolution_date", "{resolution_date} is before the onset date {onset_date}")
    def resolved_after_onset(cls, df: pd.DataFrame) -> pd.Series:
        return (df.resolution_date >= df.onset_date) | df.resolution_date.isna() | df.onset_date.isna()

    @f.row_rule("serious", "{serious} is not possible with outcome {outcome}: a fatal event is serious")
    def fatal_is_serious(cls, df: pd.DataFrame) -> pd.Series:
        return (df.outcome != "FATAL") | (df.serious == "Y")
