"""Checks every CDISC export's files must pass, whichever standard (tests of `trial export adam`
and `trial export sdtm`): each XPT reads back the same with pyreadstat, with pandas' own XPORT
reader (an independent implementation) and as its Dataset-JSON holds it; each Dataset-JSON
validates against CDISC's schema; the define is Define-XML 2.1 and every OID it or a Dataset-JSON
names resolves."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pyreadstat

SCHEMA = json.loads((Path(__file__).parent / "data" / "cdisc" / "dataset.schema.json").read_text())


def read_xpt(folder: Path, name: str) -> pd.DataFrame:
    """A dataset as pandas' XPORT reader (not pyreadstat) reads it."""
    return pd.read_sas(folder / f"{name}.xpt", format="xport", encoding="ascii")


def assert_reads_back(folder: Path, names) -> None:
    for name in names:
        ours, meta = pyreadstat.read_xport(folder / f"{name}.xpt")
        theirs = read_xpt(folder, name)
        assert meta.table_name == name.upper() and len(meta.file_label) <= 40
        assert all(len(c) <= 8 for c in ours.columns) and all(len(label) <= 40 for label in meta.column_labels)
        document = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        assert [c["name"] for c in document["columns"]] == list(ours.columns) == list(theirs.columns)
        assert document["records"] == len(ours) == len(theirs) == len(document["rows"])
        rows = pd.DataFrame(document["rows"], columns=list(ours.columns))
        for column in document["columns"]:
            name_, kind = column["name"], column["dataType"]
            a, b = ours[name_], theirs[name_]
            if kind == "string":
                a = a.fillna("").astype(str)
                b = b.map(lambda v: v.decode("ascii") if isinstance(v, bytes) else v).fillna("").astype(str)
                assert a.tolist() == b.tolist() == rows[name_].fillna("").tolist(), (name, name_)
                width = meta.variable_storage_width[name_]
                assert width == max(1, a.str.len().max() if len(a) else 1), (name, name_)  # fitted to the data
            elif kind == "date":
                sas_days = pd.Timestamp("1960-01-01") + pd.to_timedelta(b, unit="D")  # pandas reads the SAS day numbers
                pandas_days = sas_days.dt.date.astype(object).where(b.notna(), None).tolist()
                assert pandas_days == [None if pd.isna(v) else v for v in a] == \
                       [None if pd.isna(v) else pd.Timestamp(v).date() for v in rows[name_]], (name, name_)
                assert meta.original_variable_types[name_].startswith("DATE")
            else:
                pd.testing.assert_series_equal(a.astype(float), b.astype(float), check_names=False)
                pd.testing.assert_series_equal(a.astype(float), rows[name_].astype(float), check_names=False)


def assert_valid_dataset_json(folder: Path, names, study_id: str) -> None:
    for name in names:
        document = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft201909Validator)
        assert document["studyOID"] == f"STUDY.{study_id}" and document["itemGroupOID"] == f"IG.{name.upper()}"


ODM, DEF = "{http://www.cdisc.org/ns/odm/v1.3}", "{http://www.cdisc.org/ns/def/v2.1}"
REFERENCES = ("ItemOID", "CodeListOID", "MethodOID", "ValueListOID", "WhereClauseOID", f"{DEF}ItemOID", f"{DEF}ArchiveLocationID",
              f"{DEF}StandardOID", f"{DEF}CommentOID")


def assert_define_resolves(folder: Path, names) -> tuple[ET.Element, ET.Element, dict]:
    """The define's root, its MetaDataVersion and its ItemDefs by OID, once every check has passed."""
    root = ET.parse(folder / "define.xml").getroot()  # well-formed, or this raises
    assert root.tag == f"{ODM}ODM" and root.get("ODMVersion") == "1.3.2"
    [version] = root.iter(f"{ODM}MetaDataVersion")
    assert version.get(f"{DEF}DefineVersion") == "2.1.0"
    defined = {e.get("OID") for e in root.iter() if e.get("OID")} | {e.get("ID") for e in root.iter(f"{DEF}leaf")}
    referred = {(e.tag, a, e.get(a)) for e in root.iter() for a in REFERENCES if e.get(a)}
    assert referred and not [r for r in referred if r[2] not in defined]
    items = {e.get("OID"): e for e in root.iter(f"{ODM}ItemDef")}
    for name in names:
        document = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        assert document["itemGroupOID"] in defined and document["metaDataVersionOID"] == version.get("OID")
        [group] = [g for g in root.iter(f"{ODM}ItemGroupDef") if g.get("OID") == document["itemGroupOID"]]
        assert [r.get("ItemOID") for r in group.iter(f"{ODM}ItemRef")] == [c["itemOID"] for c in document["columns"]]
        for column in document["columns"]:
            item = items[column["itemOID"]]
            assert item.get("Name") == column["name"] and item.find(f"{ODM}Description/{ODM}TranslatedText").text == column["label"]
            if column["dataType"] == "string":
                assert item.get("Length") == str(column["length"])
        leaf = group.find(f"{DEF}leaf")
        assert (folder / leaf.get("{http://www.w3.org/1999/xlink}href")).is_file()
    return root, version, items
