"""Field helpers shared by the domain models, each made once.

Every column carries ``metadata["kind"]``: ``code`` (controlled term or identifier, stored upper
case), ``text``, ``int``, ``decimal`` or ``date``. The reader types a file's cells from it; the
pandera dtype and the rules then apply to typed values.

Row rules (``@row_rule``) name the column a failing row is reported against and write their
``error`` as a sentence template filled from the same row's values (``{hair_count}``).
"""

from functools import partial

import pandas as pd
import pandera.pandas as pa

KIND_CODE, KIND_TEXT, KIND_INT, KIND_DECIMAL, KIND_DATE = "code", "text", "int", "decimal", "date"


def _field(kind: str, *, required: bool = False, **checks) -> object:
    return pa.Field(nullable=not required, metadata={"kind": kind}, **checks)


code = partial(_field, KIND_CODE)
text = partial(_field, KIND_TEXT)
count = partial(_field, KIND_INT)
decimal = partial(_field, KIND_DECIMAL)
date = partial(_field, KIND_DATE)

# The two identifiers every file carries. Subject ids follow S01-001 (site, dash, number).
site_id = partial(code, required=True, str_matches=r"^[A-Z0-9]+$")
subject_id = partial(code, required=True, str_matches=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")

YES_NO = ["Y", "N"]


def row_rule(column: str, error: str):
    """A cross-column rule: the decorated method returns True for every good row.

    ``column`` travels as the check's title: the reader reports failures against it.
    """
    return pa.dataframe_check(error=error, title=column)


class DomainModel(pa.DataFrameModel):
    """Base of every domain model: strict columns, and no date in the future."""

    class Config:
        strict = True

    @pa.check(r".*_date$", regex=True, error="{value} is in the future")
    def not_in_future(cls, dates: pd.Series) -> pd.Series:
        return dates <= pd.Timestamp.now().normalize()
