"""SAS transport files, version 5 (what the FDA takes), written by pyreadstat: names of at most 8
characters, labels of at most 40, text lengths fitted to the data, dates as SAS dates (DATE9.).
Version 5 carries ASCII only: a value that is not is refused with the record and variable named,
never written garbled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from trial.cdisc.model import DATE, TEXT, Dataset
from trial.errors import TrialError


class NotTransportable(TrialError):
    """A value SAS XPT v5 cannot carry."""


def write_xpt(dataset: Dataset, folder: Path) -> Path:
    """``folder/<name>.xpt`` (lower-case, as submissions name them)."""
    _check_ascii(dataset)
    path = folder / f"{dataset.name.lower()}.xpt"
    rows = dataset.rows.copy()
    for variable in dataset.variables:
        if variable.kind == TEXT and rows[variable.name].isna().all():
            rows[variable.name] = pd.Series([""] * len(rows), index=rows.index, dtype=object)  # a text column needs a width
    pyreadstat.write_xport(
        rows, path, file_label=dataset.label, table_name=dataset.name, file_format_version=5,
        column_labels={v.name: v.label for v in dataset.variables},
        variable_format={v.name: "DATE9." for v in dataset.variables if v.kind == DATE},
    )
    return path


def _check_ascii(dataset: Dataset) -> None:
    for variable in dataset.variables:
        if variable.kind != TEXT:
            continue
        values = dataset.rows[variable.name]
        bad = values.notna() & ~values.map(lambda v: v is None or str(v).isascii())
        if bad.any():
            at = bad.idxmax()
            record = ", ".join(f"{k} {dataset.rows.at[at, k]}" for k in dataset.keys if k != "STUDYID")
            raise NotTransportable(
                f"{dataset.name}.{variable.name} of the record {record} holds '{values.at[at]}', which is not ASCII: SAS XPT v5 "
                "carries ASCII only. Correct the value (trial load with a correction), or export Dataset-JSON alone (--format json).")


def read_back(path: Path) -> pd.DataFrame:
    """The file as pyreadstat reads it (for the tests and a reviewer's check)."""
    frame, _ = pyreadstat.read_xport(path)
    return frame
