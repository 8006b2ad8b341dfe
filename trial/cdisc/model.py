"""What every CDISC file of a dataset is written from: its rows and, for each variable, the
metadata the formats carry (name, label, type, length, key order). One description, three writers
(XPT, Dataset-JSON, and the define to come), so the files cannot disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TEXT, INTEGER, FLOAT, DATE = "text", "integer", "float", "date"
KINDS = (TEXT, INTEGER, FLOAT, DATE)
MAX_NAME, MAX_LABEL, MAX_TEXT = 8, 40, 200  # SAS XPT v5 limits (and the FDA's for text)


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str
    comment: str = ""  # how it is derived, for the define
    codelist: str = ""  # the define's codelist of its values (the values are the data's), "" when free
    origin: str = "Derived"  # Define-XML's origin: Predecessor (copied as collected or from ADSL), Assigned, Derived

    def __post_init__(self):
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,%d}" % (MAX_NAME - 1), self.name):
            raise ValueError(f"variable name '{self.name}' is not an XPT v5 name (at most {MAX_NAME} letters and digits)")
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"the label of {self.name} has {len(self.label)} characters; XPT v5 allows {MAX_LABEL}")
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind '{self.kind}' is not one of {', '.join(KINDS)}")


@dataclass
class Dataset:
    """One dataset: ``rows`` holds exactly the columns of ``variables``, in that order; text as
    str (or None), numbers as floats, dates as ``datetime.date`` (or None)."""

    name: str
    label: str
    structure: str  # "One record per subject", …
    keys: tuple[str, ...]
    variables: list[Variable]
    rows: pd.DataFrame = field(repr=False)
    cdisc_class: str = ""  # the define's def:Class: "BASIC DATA STRUCTURE", "EVENTS", "FINDINGS/FINDINGS ABOUT" (a subclass), …
    value_level: tuple[str, str, str] | None = None  # (code, its words, the value they qualify): PARAMCD, PARAM, AVAL
    _distinct: dict = field(default_factory=dict, repr=False, compare=False)  # variable → its factorised values

    def __post_init__(self):
        names = [v.name for v in self.variables]
        if list(self.rows.columns) != names:
            raise ValueError(f"{self.name}: the rows have columns {list(self.rows.columns)}, the variables {names}")
        if len(self.name) > MAX_NAME or len(self.label) > MAX_LABEL:
            raise ValueError(f"dataset {self.name} '{self.label}' does not fit XPT v5 (name ≤ {MAX_NAME}, label ≤ {MAX_LABEL})")
        missing = [k for k in self.keys if k not in names]
        if missing:
            raise ValueError(f"{self.name}: key variables {missing} are not variables of it")

    def distinct(self, name: str) -> tuple[np.ndarray, list]:
        """A variable's values factorised: each row's code (-1 where empty) and the distinct values.
        Every writer works from them (a value is encoded, escaped or measured once, not once a
        row), so they are computed once per variable."""
        if name not in self._distinct:
            codes, uniques = pd.factorize(self.rows[name], use_na_sentinel=True)
            self._distinct[name] = (codes, uniques.tolist())
        return self._distinct[name]

    def length(self, variable: Variable) -> int:
        """A text variable's length in bytes, fitted to its longest value (at least 1); 8 for numbers and dates."""
        if variable.kind != TEXT:
            return 8
        values = [str(v) for v in self.distinct(variable.name)[1]]
        return max(1, max((len(v.encode("utf-8")) for v in values), default=1))

    def all_ascii(self, name: str) -> bool:
        """Whether every text value of a variable is ASCII."""
        return all(str(v).isascii() for v in self.distinct(name)[1])


def number_text(values: pd.Series) -> pd.Series:
    """Numbers as the text SDTM's --ORRES carries: whole numbers without a decimal point ("148"), others
    in their shortest exact form ("1.5"), None where empty. Vectorised: a findings domain has millions."""
    x = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    text = np.full(len(x), None, dtype=object)
    held = ~np.isnan(x)
    whole = held & (x == np.round(x))
    text[whole] = x[whole].astype(np.int64).astype(str).tolist()
    rest = held & ~whole
    text[rest] = [repr(float(v)) for v in x[rest]]
    return pd.Series(text, index=values.index, dtype=object)


def as_text(values: pd.Series) -> pd.Series:
    """A column as text: str values, None where empty."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: v if v is None or isinstance(v, str) else str(v)) if not _all_text(values) else text
    return text.where(text != "", None)


def as_float(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="raise").astype(float)


def as_date(values: pd.Series) -> pd.Series:
    """A column as ``datetime.date`` values (None where empty)."""
    days = pd.to_datetime(values)
    return days.dt.date.astype(object).where(days.notna(), None)


def iso_date(values: pd.Series) -> pd.Series:
    """A date column as ISO 8601 text (SDTM's --DTC), None where empty."""
    days = pd.to_datetime(values)
    return days.dt.strftime("%Y-%m-%d").astype(object).where(days.notna(), None)


def yes_or_empty(flags: pd.Series) -> pd.Series:
    """ADaM's Y / null flags (ABLFL, TRTEMFL, ANL01FL)."""
    return pd.Series(["Y" if f is True or f == 1 else None for f in flags.fillna(False).astype(bool)], index=flags.index, dtype=object)


def yes_no(flags: pd.Series) -> pd.Series:
    """ADaM's Y / N population flags (ITTFL, SAFFL, PPROTFL)."""
    return pd.Series(["Y" if f else "N" for f in flags.fillna(False).astype(bool)], index=flags.index, dtype=object)


def _all_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype)
