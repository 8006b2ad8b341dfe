"""An export of CDISC datasets (ADaM or SDTM) for one account: what they may read, written in the
formats asked for with their define.xml, and recorded in the audit trail as an export.

Blinded accounts are refused, not given datasets without the treatment variables: every ADaM
dataset is built to compare the arms (TRT01P, TRTA), SDTM's DM carries each subject's arm and its
PR domain the sessions only one arm has, and a "blinded" export handed to a reviewer would pass for
the real one. A site-scoped account gets its own sites' subjects."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
import zipfile
from pathlib import Path

from trial.cdisc.adam import adam_datasets
from trial.cdisc.dataset_json import write_dataset_json
from trial.cdisc.define import ADAMIG, SDTMIG, Standard, write_define
from trial.cdisc.odm import write_odm
from trial.cdisc.sdtm import sdtm_datasets
from trial.cdisc.xpt import write_xpt
from trial.errors import TrialError
from trial.governance.access import Access
from trial.governance.trail import record_export
from trial.governance.views import scoped

FORMATS = ("xpt", "json")


class BlindedExport(TrialError):
    """A blinded account asked for datasets that carry the arm."""


def metadata_version(store) -> str:
    """The define's MetaDataVersion OID: the study id and the first 12 hex digits of the SHA-256
    of the study file the database holds, so a changed study file is a new metadata version."""
    text = store.scalar("SELECT value FROM meta WHERE key = 'study_toml'") or ""
    return f"MDV.{store.study.study.id}.{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


STANDARDS = {"adam": (ADAMIG, adam_datasets, "ADaM datasets", "TRT01P, TRTA"),
             "sdtm": (SDTMIG, sdtm_datasets, "SDTM datasets", "DM.ARM, the PR sessions")}


def export_cdisc(store, who, kind: str, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write the ``kind`` ("adam" or "sdtm") datasets ``who`` may read to ``out`` (created), one file
    per dataset and format, and their define.xml."""
    standard, build, what, reveals = STANDARDS[kind]
    if who.blinded:
        raise BlindedExport(
            f"{who.user_name} is blinded in this study, and {standard.short} datasets carry each subject's treatment ({reveals}): "
            "the export is refused. An unblinded statistician exports them.")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise TrialError(f"unknown export format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    datasets = build(scoped(store, Access.of(who)))
    return _write(store, who, datasets, out, formats, standard, what)


def _write(store, who, datasets, out: Path, formats: tuple[str, ...], standard: Standard, what: str) -> list[Path]:
    """Every file written to a folder beside ``out`` first, then moved into it: an export that fails
    half-way (a value a format cannot carry) leaves no half of itself behind."""
    meta = {"study_id": store.study.study.id, "metadata_version": metadata_version(store),
            "created": dt.datetime.now(dt.UTC), "originator": store.study.study.sponsor or store.study.study.id}
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as folder:
        staged = Path(folder)
        files = []
        for dataset in datasets:
            if "xpt" in formats:
                files.append(write_xpt(dataset, staged))
            if "json" in formats:
                files.append(write_dataset_json(dataset, staged, **meta))
        files.append(write_define(staged / "define.xml", datasets, store.study, metadata_version=meta["metadata_version"],
                                  created=meta["created"], formats=formats, standard=standard))
        out.mkdir(exist_ok=True)
        written = [file.replace(out / file.name) for file in files]
    shown = " and ".join({"xpt": "SAS XPT v5", "json": "Dataset-JSON 1.1"}[f] for f in formats)
    record_export(store, who.user_name, what,
                  f"{', '.join(d.name for d in datasets)} ({sum(len(d.rows) for d in datasets):,} records) as {shown}, with define.xml, to {out}")
    return written


def export_adam(store, who, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """The ADaM datasets (:func:`export_cdisc`)."""
    return export_cdisc(store, who, "adam", out, formats)


def export_sdtm(store, who, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """The SDTM datasets (:func:`export_cdisc`)."""
    return export_cdisc(store, who, "sdtm", out, formats)


def export_odm(store, who, path: Path) -> Path:
    """Write the study as CDISC ODM 1.3.2 (``odm``) to ``path``: what ``who`` may read, recorded as an export."""
    if who.blinded:
        raise BlindedExport(f"{who.user_name} is blinded in this study, and the ODM file carries each subject's randomization "
                            "and sessions: the export is refused. An unblinded statistician exports it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    subjects = write_odm(scoped(store, Access.of(who)), path, metadata_version=metadata_version(store), created=dt.datetime.now(dt.UTC))
    record_export(store, who.user_name, "ODM file", f"CDISC ODM 1.3.2 with the audit records, {subjects:,} subjects, to {path}")
    return path


def export_odm_bytes(store, who) -> bytes:
    """The ODM file of :func:`export_odm` as bytes: what the Reports page hands its reader."""
    with tempfile.TemporaryDirectory(prefix="trial-odm-") as folder:
        return export_odm(store, who, Path(folder) / "study.xml").read_bytes()


def export_zip(store, who, kind: str = "adam") -> bytes:
    """The export of :func:`export_cdisc` (both formats and the define) as the bytes of one zip, its
    files in a folder named for the kind: what the Reports page hands its reader."""
    with tempfile.TemporaryDirectory(prefix=f"trial-{kind}-") as folder:
        written = export_cdisc(store, who, kind, Path(folder) / kind)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, f"{kind}/{path.name}")
    return buffer.getvalue()
