"""CDISC Dataset-JSON 1.1: one JSON file per dataset, its columns' metadata then its rows (lists in
column order); dates as ISO 8601 text, numbers as JSON numbers, empty as null. The OIDs are the ones
the define uses: IG.<dataset>, IT.<dataset>.<variable>."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from trial import __version__
from trial.cdisc.model import DATE, FLOAT, INTEGER, TEXT, Dataset

VERSION = "1.1.0"
DATA_TYPES = {TEXT: "string", INTEGER: "integer", FLOAT: "double", DATE: "date"}


def item_group_oid(dataset: Dataset) -> str:
    return f"IG.{dataset.name}"


def item_oid(dataset: Dataset, name: str) -> str:
    return f"IT.{dataset.name}.{name}"


def document(dataset: Dataset, *, study_id: str, metadata_version: str, created: dt.datetime, originator: str) -> dict:
    """The Dataset-JSON document of ``dataset`` as a dict."""
    keys = {name: i for i, name in enumerate(dataset.keys, start=1)}
    columns = []
    for variable in dataset.variables:
        column = {"itemOID": item_oid(dataset, variable.name), "name": variable.name, "label": variable.label,
                  "dataType": DATA_TYPES[variable.kind]}
        if variable.kind == TEXT:
            column["length"] = dataset.length(variable)
        if variable.kind == DATE:
            column["displayFormat"] = "DATE9."
        if variable.name in keys:
            column["keySequence"] = keys[variable.name]
        columns.append(column)
    stamp = created.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "datasetJSONCreationDateTime": stamp,
        "datasetJSONVersion": VERSION,
        "fileOID": f"{study_id}.{dataset.name}.{stamp}",
        "originator": originator,
        "sourceSystem": {"name": "trial", "version": __version__},
        "studyOID": f"STUDY.{study_id}",
        "metaDataVersionOID": metadata_version,
        "metaDataRef": "define.xml",
        "itemGroupOID": item_group_oid(dataset),
        "records": len(dataset.rows),
        "name": dataset.name,
        "label": dataset.label,
        "columns": columns,
        "rows": [list(row) for row in zip(*(_cells(dataset.rows[v.name], v.kind) for v in dataset.variables))],
    }


def write_dataset_json(dataset: Dataset, folder: Path, **meta) -> Path:
    path = folder / f"{dataset.name.lower()}.json"
    path.write_text(json.dumps(document(dataset, **meta), ensure_ascii=False, separators=(",", ":"), allow_nan=False), encoding="utf-8")
    return path


def _cells(values: pd.Series, kind: str) -> list:
    """A column's values as JSON takes them, converted a column at a time (a findings domain has
    millions of cells): numbers as floats (or ints), dates as ISO text, empty as None."""
    held = values.notna().to_numpy()
    if kind in (FLOAT, INTEGER):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        cells = numbers.astype(object)
        cells[~held] = None
        return cells.tolist() if kind == FLOAT else [None if c is None else int(c) for c in cells.tolist()]
    if kind == DATE:
        return [None if v is None else _cell(v) for v in values.astype(object).where(held, None).tolist()]
    return values.astype(object).where(held, None).tolist()


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # a numpy number
        return _cell(value.item())
    return value
