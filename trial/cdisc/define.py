"""Define-XML 2.1 for the exported datasets, from the same description the files are written from
(``model.Dataset``): a dataset's metadata (ItemGroupDef, with its file as def:leaf), each
variable's (ItemDef: type, length, label, origin, and its derivation as a MethodDef), a CodeList for
every controlled variable (its values as the data hold them, decoded where the data pair a code with
words: PARAMCD with PARAM, AVISITN with AVISIT, the arm's number with its label), and value-level
metadata for a value its dataset's code qualifies (AVAL by PARAMCD in ADaM's BDS datasets, --STRESN by
--TESTCD in SDTM's findings): one ItemDef per code, chosen by a WhereClauseDef. One writer for both
standards (:class:`Standard`).

The OIDs are the Dataset-JSON files' (IG.<dataset>, IT.<dataset>.<variable>). The MetaDataVersion
OID carries the study file's version (``export.metadata_version``)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trial import __version__
from trial.cdisc.dataset_json import item_group_oid, item_oid
from trial.cdisc.model import DATE, FLOAT, INTEGER, TEXT, Dataset, Variable

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)

DATA_TYPES = {TEXT: "text", INTEGER: "integer", FLOAT: "float", DATE: "date"}
DECODES = {"PARAMCD": "PARAM", "AVISITN": "AVISIT", "TRT01PN": "TRT01P", "TRTPN": "TRTP", "TRTAN": "TRTA", "TRT01AN": "TRT01A",
           "ARMCD": "ARM", "ACTARMCD": "ACTARM", "VISITNUM": "VISIT", "XHTESTCD": "XHTEST", "FATESTCD": "FATEST",
           "QSTESTCD": "QSTEST", "TSPARMCD": "TSPARM", "ETCD": "ELEMENT", "IETESTCD": "IETEST"}
PER_DATASET = {"PARAMCD"}


@dataclass(frozen=True)
class Standard:
    """The implementation guide a define describes: its name in the define, its version, and what
    its datasets are for (Define-XML's Purpose)."""

    short: str  # "ADaM", "SDTM"
    guide: str  # "ADaMIG", "SDTMIG"
    version: str
    purpose: str  # "Analysis", "Tabulation"

    @property
    def oid(self) -> str:
        return f"STD.{self.guide.upper()}.{self.version}"


ADAMIG = Standard("ADaM", "ADaMIG", "1.3", "Analysis")
SDTMIG = Standard("SDTM", "SDTMIG", "3.4", "Tabulation")


def _o(tag: str) -> str:
    return f"{{{ODM}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF}}}{tag}"


def _description(parent: ET.Element, text: str) -> None:
    ET.SubElement(ET.SubElement(parent, _o("Description")), _o("TranslatedText"), {XML_LANG: "en"}).text = text


def define_document(datasets: list[Dataset], study, *, metadata_version: str, created: dt.datetime, formats: tuple[str, ...],
                    standard: Standard = ADAMIG) -> ET.ElementTree:
    """The define as an element tree."""
    stamp = created.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    info = study.study
    root = ET.Element(_o("ODM"), {
        "FileType": "Snapshot", "FileOID": f"DEFINE.{info.id}.{standard.short.upper()}", "CreationDateTime": stamp, "ODMVersion": "1.3.2",
        "Originator": info.sponsor or info.id, "SourceSystem": "trial", "SourceSystemVersion": __version__, _d("Context"): "Submission",
    })
    study_element = ET.SubElement(root, _o("Study"), {"OID": f"STUDY.{info.id}"})
    globals_ = ET.SubElement(study_element, _o("GlobalVariables"))
    ET.SubElement(globals_, _o("StudyName")).text = info.id
    ET.SubElement(globals_, _o("StudyDescription")).text = info.title
    ET.SubElement(globals_, _o("ProtocolName")).text = info.id
    version = ET.SubElement(study_element, _o("MetaDataVersion"), {
        "OID": metadata_version, "Name": f"{info.id} {standard.short}",
        "Description": f"{standard.short} datasets of {info.id}, study file version {metadata_version}",
        _d("DefineVersion"): "2.1.0",
    })
    standards = ET.SubElement(version, _d("Standards"))
    ET.SubElement(standards, _d("Standard"), {"OID": standard.oid, "Name": standard.guide, "Type": "IG", "Version": standard.version,
                                                    "Status": "Final"})

    value_lists, where_clauses, item_defs, codelists, methods = [], [], [], {}, []
    groups = []
    for dataset in datasets:
        groups.append(_item_group(dataset, formats, standard))
        for variable in dataset.variables:
            item_defs.append(_item_def(dataset, variable, value_list=_value_level(dataset, variable, value_lists, where_clauses, item_defs)))
            if variable.codelist:
                _codelist(codelists, variable, dataset)
            if variable.origin == "Derived" and variable.comment:
                methods.append(_method(dataset, variable))
    for element in (*value_lists, *where_clauses, *groups, *item_defs, *codelists.values(), *methods):
        version.append(element)
    tree = ET.ElementTree(root)
    ET.indent(tree, space="  ")
    return tree


def write_define(path: Path, datasets: list[Dataset], study, **meta) -> Path:
    define_document(datasets, study, **meta).write(path, encoding="UTF-8", xml_declaration=True)
    return path


def _item_group(dataset: Dataset, formats: tuple[str, ...], standard: Standard) -> ET.Element:
    oid = item_group_oid(dataset)
    group = ET.Element(_o("ItemGroupDef"), {
        "OID": oid, "Name": dataset.name, "SASDatasetName": dataset.name, "Repeating": "No" if dataset.keys == ("STUDYID", "USUBJID") else "Yes",
        "IsReferenceData": "Yes" if dataset.cdisc_class == "TRIAL DESIGN" else "No", "Purpose": standard.purpose,
        _d("Structure"): dataset.structure, _d("StandardOID"): standard.oid, _d("ArchiveLocationID"): f"LF.{dataset.name}",
        **({"Domain": dataset.name} if standard.purpose == "Tabulation" else {}),
    })
    _description(group, dataset.label)
    keys = {name: i for i, name in enumerate(dataset.keys, start=1)}
    for order, variable in enumerate(dataset.variables, start=1):
        attributes = {"ItemOID": item_oid(dataset, variable.name), "OrderNumber": str(order),
                      "Mandatory": "Yes" if variable.name in keys else "No"}
        if variable.name in keys:
            attributes["KeySequence"] = str(keys[variable.name])
        if variable.origin == "Derived" and variable.comment:
            attributes["MethodOID"] = _method_oid(dataset, variable)
        ET.SubElement(group, _o("ItemRef"), attributes)
    suffix = "xpt" if "xpt" in formats else "json"
    # Define-XML 2.1 gives the class as an element (2.0 had an attribute); Findings About is a subclass of Findings
    kind, _, sub = dataset.cdisc_class.partition("/")
    class_element = ET.SubElement(group, _d("Class"), {"Name": kind})
    if sub:
        ET.SubElement(class_element, _d("SubClass"), {"Name": sub})
    leaf = ET.SubElement(group, _d("leaf"), {"ID": f"LF.{dataset.name}", f"{{{XLINK}}}href": f"{dataset.name.lower()}.{suffix}"})
    ET.SubElement(leaf, _d("title")).text = f"{dataset.name.lower()}.{suffix}"
    return group


def _item_def(dataset: Dataset, variable: Variable, *, value_list: str | None, oid: str | None = None,
              label: str | None = None) -> ET.Element:
    attributes = {"OID": oid or item_oid(dataset, variable.name), "Name": variable.name, "SASFieldName": variable.name,
                  "DataType": DATA_TYPES[variable.kind]}
    if variable.kind == TEXT:
        attributes["Length"] = str(dataset.length(variable))
    if variable.kind == DATE:
        attributes[_d("DisplayFormat")] = "DATE9."
    item = ET.Element(_o("ItemDef"), attributes)
    _description(item, label or variable.label)
    if variable.codelist:
        ET.SubElement(item, _o("CodeListRef"), {"CodeListOID": _codelist_oid(variable, dataset)})
    origin = ET.SubElement(item, _d("Origin"), {"Type": variable.origin} | ({"Source": "Sponsor"} if variable.origin == "Assigned" else {}))
    if variable.origin != "Derived" and variable.comment:
        _description(origin, variable.comment)
    if value_list:
        ET.SubElement(item, _d("ValueListRef"), {"ValueListOID": value_list})
    return item


def _value_level(dataset: Dataset, variable: Variable, value_lists: list, where_clauses: list, item_defs: list) -> str | None:
    """For the value a dataset's code qualifies (AVAL by PARAMCD, XHSTRESN by XHTESTCD): a value list
    with one ItemDef per code (its words as the label)."""
    if dataset.value_level is None or variable.name != dataset.value_level[2]:
        return None
    code_name, words_name, _ = dataset.value_level
    oid = f"VL.{dataset.name}.{variable.name}"
    value_list = ET.Element(_d("ValueListDef"), {"OID": oid})
    pairs = dataset.rows[[code_name, words_name]].drop_duplicates().sort_values(code_name)
    for order, (code, words) in enumerate(pairs.itertuples(index=False, name=None), start=1):
        where = f"WC.{dataset.name}.{code_name}.{code}"
        ref = ET.SubElement(value_list, _o("ItemRef"), {"ItemOID": f"{item_oid(dataset, variable.name)}.{code}", "OrderNumber": str(order),
                                                        "Mandatory": "No"})
        ET.SubElement(ref, _d("WhereClauseRef"), {"WhereClauseOID": where})
        clause = ET.Element(_d("WhereClauseDef"), {"OID": where})
        check = ET.SubElement(clause, _o("RangeCheck"), {"SoftHard": "Soft", _d("ItemOID"): item_oid(dataset, code_name), "Comparator": "EQ"})
        ET.SubElement(check, _o("CheckValue")).text = code
        where_clauses.append(clause)
        item_defs.append(_item_def(dataset, variable, value_list=None, oid=f"{item_oid(dataset, variable.name)}.{code}", label=words[:40]))
    value_lists.append(value_list)
    return oid


def _codelist_oid(variable: Variable, dataset: Dataset) -> str:
    """CL.<codelist>; a dataset's parameter codes have a codelist of their own (CL.ADHC.PARAMCD)."""
    return f"CL.{dataset.name}.{variable.codelist}" if variable.codelist in PER_DATASET else f"CL.{variable.codelist}"


def _codelist(codelists: dict, variable: Variable, dataset: Dataset) -> None:
    """The variable's codelist, its values those of every dataset that uses it (merged as they come)."""
    values = dataset.rows[variable.name].dropna()
    decode = DECODES.get(variable.name)
    pairs = dataset.rows[[variable.name, decode]].dropna().drop_duplicates() if decode else None
    kind = "float" if variable.kind == FLOAT else "text"
    oid = _codelist_oid(variable, dataset)
    known = codelists.get(oid)
    if known is None:
        known = codelists[oid] = ET.Element(_o("CodeList"), {"OID": oid, "Name": oid.removeprefix("CL."), "DataType": kind})
    seen = {item.get("CodedValue") for item in known}
    if pairs is not None:
        for code, words in sorted(pairs.itertuples(index=False, name=None)):
            shown = _coded(code)
            if shown not in seen:
                item = ET.SubElement(known, _o("CodeListItem"), {"CodedValue": shown})
                _description_decode(item, str(words))
                seen.add(shown)
    else:
        for code in sorted(pd.unique(values), key=str):
            shown = _coded(code)
            if shown not in seen:
                ET.SubElement(known, _o("EnumeratedItem"), {"CodedValue": shown})
                seen.add(shown)
    items = sorted(known, key=lambda e: (e.tag, _sort_key(e.get("CodedValue"))))
    for item in list(known):
        known.remove(item)
    known.extend(items)


def _description_decode(item: ET.Element, words: str) -> None:
    ET.SubElement(ET.SubElement(item, _o("Decode")), _o("TranslatedText"), {XML_LANG: "en"}).text = words


def _coded(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _sort_key(value: str):
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def _method_oid(dataset: Dataset, variable: Variable) -> str:
    return f"MT.{dataset.name}.{variable.name}"


def _method(dataset: Dataset, variable: Variable) -> ET.Element:
    method = ET.Element(_o("MethodDef"), {"OID": _method_oid(dataset, variable), "Name": f"Derivation of {dataset.name}.{variable.name}",
                                          "Type": "Computation"})
    _description(method, variable.comment)
    return method
