"""randomization: one arm assignment per subject."""

import pandera.pandas as pa
from pandera.typing import Series

from schemas import _fields as f


class Randomization(f.DomainModel):
    site_id: Series[str] = f.site_id()
    subject_id: Series[str] = f.subject_id()
    randomization_date: Series[pa.DateTime] = f.date(required=True)
    arm: Series[str] = f.code(required=True)
    randomization_number: Series[str] = f.text()
    stratum: Series[str] = f.text()
