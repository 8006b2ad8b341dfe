"""CDISC ODM 1.3.2 of the study: its metadata and its clinical data with their history.

- **Metadata** from the study file and the data dictionary (``schemas``): one StudyEventDef per
  visit, with a screening event (subjects, randomization) and a common one (adverse events,
  microneedling sessions, disposition); one FormDef and ItemGroupDef per upload domain; one ItemDef
  per column, typed as the dictionary types it; a CodeList for every coded column, its values those
  the dictionary and the study file allow.
- **Clinical data** as a transactional file, one SubjectData per subject: each record's values as
  first loaded (TransactionType Insert), then each correction of it in order (Update, with only
  the corrected items), so that replaying the file gives the study as it is now and every earlier
  value. Each carries an AuditRecord: who (an AdminData User), at which site (a Location), when,
  from which upload (SourceID: the file, its number and SHA-256) and, for a correction, why.

Subject, site and visit are the structure (SubjectKey, SiteRef, StudyEventOID), not items."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas import DOMAINS, KIND_DATE, KIND_DECIMAL, KIND_INT, schema_for
from schemas.subjects import DIAGNOSIS_LABELS, SEX_LABELS
from trial import __version__
from trial import findings as fd
from trial.store.reading import frame
from trial.errors import TrialError
from trial.study import code_words

NS = "http://www.cdisc.org/ns/odm/v1.3"
ET.register_namespace("", NS)
STRUCTURE = {"site_id", "subject_id", "visit"}  # carried by SubjectData, SiteRef and StudyEventData
SCREENING, COMMON = "SE.SCREENING", "SE.COMMON"
EVENT_OF = {"subjects": SCREENING, "randomization": SCREENING, "adverse_events": COMMON, "procedures": COMMON,
            "disposition": COMMON}  # the others are by visit
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters XML 1.0 cannot hold, even escaped
DATA_TYPES = {KIND_INT: "integer", KIND_DECIMAL: "float", KIND_DATE: "date"}  # code and text: "text"


def _o(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, _o(tag), attributes)
    element.text = text
    return element


def _translated(parent: ET.Element, tag: str, text: str) -> None:
    _text(ET.SubElement(parent, _o(tag)), "TranslatedText", text, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})


def write_odm(store, path, *, metadata_version: str, created: dt.datetime) -> int:
    """Write the ODM document of the study, as ``store``'s reader may read it, to ``path``; returns
    the number of subjects (one SubjectData each)."""
    study = store.study
    stamp = created.astimezone(dt.UTC).isoformat(timespec="seconds")
    tables, uploads, corrections = _read(store)
    study_oid = f"STUDY.{study.study.id}"
    users = sorted({*uploads.user_name.dropna(), *corrections.user_name.dropna()})
    head = {"FileType": "Transactional", "Granularity": "All", "FileOID": f"ODM.{study.study.id}.{stamp}", "CreationDateTime": stamp,
            "ODMVersion": "1.3.2", "Originator": study.study.sponsor or study.study.id, "SourceSystem": "trial",
            "SourceSystemVersion": __version__}
    part = Path(path).with_name(Path(path).name + ".part")  # the file appears whole or not at all
    try:
        with part.open("w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write(f'<ODM xmlns="{NS}" ' + " ".join(f"{k}={quoteattr(v)}" for k, v in head.items()) + ">\n")
            for element in (_study(study, study_oid, metadata_version), _admin(study, users, study_oid, metadata_version, created)):
                ET.indent(element, space=" ")
                out.write(ET.tostring(element, encoding="unicode") + "\n")
            subjects = _write_clinical(out, study, study_oid, metadata_version, tables, uploads, corrections)
            out.write("</ODM>\n")
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return subjects


def _read(store):
    cur = store.cursor()
    try:
        tables = {name: frame(cur, f"SELECT * FROM {name}") for name in DOMAINS}
        uploads = frame(cur, "SELECT upload_id, file_name, sha256, user_name, uploaded_at FROM uploads")
        corrections = frame(cur, "SELECT audit_id, changed_at, user_name, table_name, record_key, column_name, old_value, new_value, "
                                 "reason, upload_id FROM audit_trail WHERE action = 'CORRECT' ORDER BY audit_id")
    finally:
        cur.close()
    return tables, uploads, corrections


def _items(name: str) -> list:
    return [c for c in DOMAINS[name].columns if c.name not in STRUCTURE]


def _repeating(name: str) -> bool:
    return len([k for k in DOMAINS[name].key if k not in STRUCTURE]) > 0


def _study(study, study_oid: str, metadata_version: str) -> ET.Element:
    element = ET.Element(_o("Study"), {"OID": study_oid})
    globals_ = ET.SubElement(element, _o("GlobalVariables"))
    _text(globals_, "StudyName", study.study.id)
    _text(globals_, "StudyDescription", study.study.title)
    _text(globals_, "ProtocolName", study.study.id)
    version = ET.SubElement(element, _o("MetaDataVersion"), {"OID": metadata_version, "Name": f"{study.study.id} study file"})
    events = [(SCREENING, "Screening", "Scheduled", ["subjects", "randomization"])]
    events += [(f"SE.{v.code}", code_words(v.code), "Scheduled", [n for n in DOMAINS if n not in EVENT_OF]) for v in study.visits]
    events += [(COMMON, "Throughout the study", "Common", ["adverse_events", "procedures", "disposition"])]
    protocol = ET.SubElement(version, _o("Protocol"))
    for order, (oid, _, _, _) in enumerate(events, start=1):
        ET.SubElement(protocol, _o("StudyEventRef"), {"StudyEventOID": oid, "OrderNumber": str(order), "Mandatory": "No"})
    for oid, name, kind, forms in events:
        event = ET.SubElement(version, _o("StudyEventDef"), {"OID": oid, "Name": name, "Repeating": "No", "Type": kind})
        for order, form in enumerate(forms, start=1):
            ET.SubElement(event, _o("FormRef"), {"FormOID": f"F.{form.upper()}", "OrderNumber": str(order), "Mandatory": "No"})
    for name, domain in DOMAINS.items():
        form = ET.SubElement(version, _o("FormDef"), {"OID": f"F.{name.upper()}", "Name": code_words(name), "Repeating": "No"})
        ET.SubElement(form, _o("ItemGroupRef"), {"ItemGroupOID": f"IG.{name.upper()}", "Mandatory": "Yes"})
    codelists = []
    for name, domain in DOMAINS.items():
        group = ET.SubElement(version, _o("ItemGroupDef"), {"OID": f"IG.{name.upper()}", "Name": name,
                                                             "Repeating": "Yes" if _repeating(name) else "No"})
        _translated(group, "Description", domain.description)
        for order, column in enumerate(_items(name), start=1):
            attributes = {"ItemOID": _item_oid(name, column.name), "OrderNumber": str(order), "Mandatory": "Yes" if column.required else "No"}
            if column.name in domain.key:
                attributes["KeySequence"] = str(domain.key.index(column.name))
            ET.SubElement(group, _o("ItemRef"), attributes)
    allowed = {name: _allowed(name, study) for name in DOMAINS}
    for name in DOMAINS:
        for column in _items(name):
            item = ET.SubElement(version, _o("ItemDef"), {"OID": _item_oid(name, column.name), "Name": column.name,
                                                          "DataType": DATA_TYPES.get(column.kind, "text")})
            _translated(item, "Question", f"{column.name.replace('_', ' ')} ({code_words(name)})")
            if column.name in allowed[name]:
                ET.SubElement(item, _o("CodeListRef"), {"CodeListOID": f"CL.{name.upper()}.{column.name}"})
                codelist = ET.Element(_o("CodeList"), {"OID": f"CL.{name.upper()}.{column.name}", "Name": f"{name}.{column.name}",
                                                       "DataType": "text"})
                for value in allowed[name][column.name]:
                    choice = ET.SubElement(codelist, _o("CodeListItem"), {"CodedValue": str(value)})
                    _translated(choice, "Decode", _decode(column.name, str(value), study))
                codelists.append(codelist)
    version.extend(codelists)
    return element


def _allowed(name: str, study) -> dict[str, list]:
    """Each coded column's allowed values, as the domain's schema (with the study's rules) checks them."""
    found = {}
    for column, spec in schema_for(DOMAINS[name], study).columns.items():
        for check in spec.checks:
            values = (check.statistics or {}).get("allowed_values")
            if values is not None and column not in STRUCTURE:
                found[column] = list(values)
    return found


def _decode(column: str, value: str, study) -> str:
    """A code in words: the arm's label, the dictionary's labels of sex and diagnosis, else the code in words."""
    labels = {"arm": {a.code: a.label for a in study.arms}, "sex": SEX_LABELS, "diagnosis": DIAGNOSIS_LABELS}
    return labels.get(column, {}).get(value) or (value if value.isdigit() else code_words(value))


def _item_oid(name: str, column: str) -> str:
    return f"IT.{name.upper()}.{column}"


def _admin(study, users: list[str], study_oid: str, metadata_version: str, created: dt.datetime) -> ET.Element:
    admin = ET.Element(_o("AdminData"), {"StudyOID": study_oid})
    for user in users:
        _text(ET.SubElement(admin, _o("User"), {"OID": f"USR.{user}"}), "LoginName", user)
    for site in study.sites:
        location = ET.SubElement(admin, _o("Location"), {"OID": f"LOC.{site.id}", "Name": site.name or site.id, "LocationType": "Site"})
        ET.SubElement(location, _o("MetaDataVersionRef"), {"StudyOID": study_oid, "MetaDataVersionOID": metadata_version,
                                                           "EffectiveDate": created.date().isoformat()})
    return admin


def _audit(user: str, site: str, when, source: str, reason: str | None = None) -> str:
    reason_text = f"<ReasonForChange>{escape(reason)}</ReasonForChange>" if reason else ""
    stamp = pd.Timestamp(when).tz_convert("UTC").isoformat(timespec="seconds")
    return (f'<AuditRecord EditPoint="DataManagement" UsedImputationMethod="No"><UserRef UserOID={quoteattr(f"USR.{user}")}/>'
            f'<LocationRef LocationOID={quoteattr(f"LOC.{site}")}/><DateTimeStamp>{stamp}</DateTimeStamp>{reason_text}'
            f"<SourceID>{escape(source)}</SourceID></AuditRecord>")


def _write_clinical(out, study, study_oid: str, metadata_version: str, tables: dict, uploads: pd.DataFrame,
                    corrections: pd.DataFrame) -> int:
    """The ClinicalData element, written as text: at 10,000 subjects it holds about a million items, and
    an element tree of them took 20 s to build and write. Every value is escaped (``quoteattr``), each
    distinct value of a column once. Returns the number of subjects."""
    out.write(f"<ClinicalData StudyOID={quoteattr(study_oid)} MetaDataVersionOID={quoteattr(metadata_version)}>\n")
    sources = {int(u.upload_id): (u.user_name, u.uploaded_at, f"upload {int(u.upload_id)}: {u.file_name} (SHA-256 {u.sha256})")
               for u in uploads.itertuples(index=False)}
    changed = defaultdict(list)  # (table, record key) → its corrections, in order
    for c in corrections.itertuples(index=False):
        changed[(c.table_name, c.record_key)].append(c)
    events = [SCREENING, *(f"SE.{v.code}" for v in study.visits), COMMON]
    rank = {e: i for i, e in enumerate(events)}
    audits: dict[tuple, str] = {}
    per_subject = defaultdict(list)  # subject → (event's rank, domain's rank, event, domain, text)
    sites = dict(zip(tables["subjects"].subject_id, tables["subjects"].site_id, strict=True))
    for domain_rank, (name, rows) in enumerate(tables.items()):
        if rows.empty:
            continue
        columns = [c.name for c in _items(name)]
        shown, cells = zip(*(_column(name, column, rows[column]) for column in columns), strict=True)
        body = pc.binary_join_element_wise(*[pa.array(c, pa.string()) for c in cells], "").to_pylist()
        keys = [" / ".join(parts) for parts in zip(*(_column(name, k, rows[k])[0] for k in DOMAINS[name].key), strict=True)]
        at = [EVENT_OF[name]] * len(rows) if name in EVENT_OF else ("SE." + rows.visit.astype(str)).tolist()
        group = f"IG.{name.upper()}"
        for i, (subject, site, upload) in enumerate(zip(rows.subject_id, rows.site_id, rows.upload_id, strict=True)):
            source = (upload, site)
            if source not in audits:
                known = sources.get(int(upload)) if pd.notna(upload) else None
                audits[source] = _audit(known[0], site, known[1], known[2]) if known else ""
            repeat = f" ItemGroupRepeatKey={quoteattr(keys[i].split(' / ', 1)[1])}" if _repeating(name) else ""
            history = changed.get((name, keys[i]))
            if history:
                text = _corrected(group, repeat, audits[source], {c: shown[j][i] for j, c in enumerate(columns)}, name, site, history)
            else:
                text = f'<ItemGroupData ItemGroupOID="{group}"{repeat} TransactionType="Insert">{audits[source]}{body[i]}</ItemGroupData>\n'
            per_subject[subject].append((rank[at[i]], domain_rank, at[i], name, text))
    for subject in sorted(per_subject):
        out.write(f'<SubjectData SubjectKey={quoteattr(subject)} TransactionType="Insert">'
                  f"<SiteRef LocationOID={quoteattr('LOC.' + sites[subject])}/>\n")
        event = form = None
        for _, _, at_event, name, text in sorted(per_subject[subject], key=lambda r: (r[0], r[1])):  # stable: loading order within
            if at_event != event:
                out.write("</FormData>\n</StudyEventData>\n" if event else "")
                out.write(f'<StudyEventData StudyEventOID="{at_event}">\n<FormData FormOID="F.{name.upper()}">\n')
                event, form = at_event, name
            elif name != form:
                out.write(f'</FormData>\n<FormData FormOID="F.{name.upper()}">\n')
                form = name
            out.write(text)
        out.write(("</FormData>\n</StudyEventData>\n" if event else "") + "</SubjectData>\n")
    out.write("</ClinicalData>\n")
    return len(per_subject)


def _column(name: str, column: str, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column's values as ODM Value text (12 not 12.0, dates as ISO 8601; None where empty) and as
    ItemData elements ("" where empty): each distinct value shown and escaped once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    shown = [fd.show(u) for u in uniques.tolist()]
    unfit = [v for v in shown if v is not None and NOT_XML.search(v)]
    if unfit:  # uploads refuse them now; a database loaded before may hold one
        raise TrialError(f"{name}.{column} holds {unfit[0]!r}, with a control character XML cannot carry: the ODM file would not "
                         "be well-formed. Correct the value (trial load with a correction), then export again.")
    oid = _item_oid(name, column)
    items = [f'<ItemData ItemOID="{oid}" Value={quoteattr(v)}/>' if v is not None else "" for v in shown]
    return np.array([*shown, None], dtype=object)[codes], np.array([*items, ""], dtype=object)[codes]


def _corrected(group: str, repeat: str, audit: str, values: dict, name: str, site: str, corrections: list) -> str:
    """A corrected record: as first loaded (each corrected item at the old value of its first
    correction), then each correction as an Update of that item, with its own audit record."""
    first, seen = dict(values), set()
    for c in corrections:
        if c.column_name in first and c.column_name not in seen:
            first[c.column_name] = c.old_value
            seen.add(c.column_name)
    items = "".join(f'<ItemData ItemOID="{_item_oid(name, k)}" Value={quoteattr(v)}/>' for k, v in first.items() if v is not None)
    parts = [f'<ItemGroupData ItemGroupOID="{group}"{repeat} TransactionType="Insert">{audit}{items}</ItemGroupData>\n']
    for c in corrections:
        kind = "Upsert" if c.new_value is not None else "Remove"
        source = f"upload {int(c.upload_id)}" if pd.notna(c.upload_id) else "correction"
        parts.append(f'<ItemGroupData ItemGroupOID="{group}"{repeat} TransactionType="Update">'
                     f'<ItemData ItemOID="{_item_oid(name, c.column_name)}" Value={quoteattr(c.new_value or "")} TransactionType="{kind}">'
                     f"{_audit(c.user_name, site, c.changed_at, source, c.reason)}</ItemData></ItemGroupData>\n")
    return "".join(parts)
