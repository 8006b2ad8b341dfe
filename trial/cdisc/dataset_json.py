"""CDISC Dataset-JSON 1.1: one JSON file per dataset, its columns' metadata then its rows (lists in
column order); dates as ISO 8601 text, numbers as JSON numbers, empty as null. The OIDs are the ones
the define uses: IG.<dataset>, IT.<dataset>.<variable>."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trial import __version__
from trial.cdisc.model import DATE, FLOAT, INTEGER, TEXT, Dataset

VERSION = "1.1.0"
DATA_TYPES = {TEXT: "string", INTEGER: "integer", FLOAT: "double", DATE: "date"}


def item_group_oid(dataset: Dataset) -> str:
    return f"IG.{dataset.name}"


def item_oid(dataset: Dataset, name: str) -> str:
    return f"IT.{dataset.name}.{name}"


def document(dataset: Dataset, *, study_id: str, metadata_version: str, created: dt.datetime, originator: str) -> dict:
    """The Dataset-JSON document of ``dataset`` as a dict, but for its rows (``rows_text`` writes them)."""
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
        "rows": [],
    }


def write_dataset_json(dataset: Dataset, folder: Path, **meta) -> Path:
    path = folder / f"{dataset.name.lower()}.json"
    head = json.dumps(document(dataset, **meta), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if not head.endswith(EMPTY_ROWS):
        raise AssertionError("the document's last member must be its rows")
    path.write_text(head[: -len(EMPTY_ROWS)] + '"rows":' + rows_text(dataset) + "}", encoding="utf-8")
    return path


EMPTY_ROWS = '"rows":[]}'


def rows_text(dataset: Dataset) -> str:
    """The rows as JSON text: an array of arrays, in column order.

    Hand-built rather than ``json.dumps`` of Python lists, which made a Python object of every cell
    (5 s of the exports at 10,000 subjects): each column's distinct values are encoded once by
    ``json.dumps`` and put in place by their codes, then Arrow joins the cells of a row and the rows."""
    if not len(dataset.rows):
        return "[]"
    cells = [_encoded(dataset, v) for v in dataset.variables]
    rows = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*cells, ","), "]", "")
    every = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows.cast(pa.large_string()))  # one list: all rows
    return "[" + pc.binary_join(every, pa.scalar(",", pa.large_string()))[0].as_py() + "]"


def _encoded(dataset: Dataset, variable) -> pa.Array:
    """Each value of a column as its JSON text ("null" where empty): the distinct values encoded by
    ``json.dumps``, then taken into place by Arrow."""
    codes, uniques = dataset.distinct(variable.name)
    if variable.kind == INTEGER:
        encoded = [json.dumps(int(float(u))) for u in uniques]
    else:
        encoded = [json.dumps(_cell(u), ensure_ascii=False, allow_nan=False) for u in uniques]
    positions = np.where(codes < 0, len(encoded), codes)  # empty takes the last entry: null
    return pc.take(pa.array([*encoded, "null"], pa.string()), pa.array(positions))


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
