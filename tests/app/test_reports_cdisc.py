"""The Reports page's CDISC section: an unblinded statistician gets the SDTM and the ADaM zips (XPT,
Dataset-JSON and define.xml, each export audited); a statistician blinded by the study gets a sentence and no
button, and the function behind the button refuses them too."""

from __future__ import annotations

import io
import zipfile

import pytest
from helpers import APP, TEAM_PASSWORD, team_store
from streamlit.testing.v1 import AppTest

from trial.cdisc.export import BlindedExport, export_odm_bytes, export_zip
from trial.governance.users import sign_in, start_session
from trial.store import Store

PAGE = "views/reports.py"
FILES = sorted([f"adam/{n}.{x}" for n in ("adsl", "adhc", "adpt", "adga", "adae") for x in ("xpt", "json")] + ["adam/define.xml"])
SDTM = ("dm", "ds", "ae", "pr", "fa", "xh", "qs", "suppae", "supppr", "suppxh", "ts", "te", "ta", "tv", "ti")
SDTM_FILES = sorted([f"sdtm/{n}.{x}" for n in SDTM for x in ("xpt", "json")] + ["sdtm/define.xml"])


def _page(tmp_path, monkeypatch, blinded_roles=None) -> tuple[AppTest, object]:
    store = team_store(tmp_path, subjects=240, blinded_roles=blinded_roles)
    who = sign_in(store, "stat", TEAM_PASSWORD)
    token = start_session(store, who)
    store.close()
    monkeypatch.setenv("TRIAL_DB", str(tmp_path / "study.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["session_token"] = token
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at, who


def test_an_unblinded_statistician_downloads_the_sdtm_and_adam_zips_and_each_is_audited(tmp_path, monkeypatch):
    at, who = _page(tmp_path, monkeypatch)
    labels = [b.label for b in at.get("download_button")]
    assert {"Download the ADaM datasets (zip)", "Download the SDTM datasets (zip)", "Download the ODM file (XML)"} <= set(labels)
    with Store.open(tmp_path / "study.duckdb") as store:
        blob = export_zip(store, who, "adam")  # what the buttons hand over when clicked
        sdtm = export_zip(store, who, "sdtm")
        odm = export_odm_bytes(store, who)
        exports = store.query("SELECT user_name, new_value FROM audit_trail WHERE action = 'EXPORT' ORDER BY audit_id")
    assert sorted(zipfile.ZipFile(io.BytesIO(blob)).namelist()) == FILES
    assert sorted(zipfile.ZipFile(io.BytesIO(sdtm)).namelist()) == SDTM_FILES
    assert odm.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and b'ODMVersion="1.3.2"' in odm[:600]
    assert exports.values.tolist() == [["stat", "ADaM datasets"], ["stat", "SDTM datasets"], ["stat", "ODM file"]]


def test_a_blinded_statistician_gets_a_sentence_and_no_button(tmp_path, monkeypatch):
    at, who = _page(tmp_path, monkeypatch, blinded_roles=("STATISTICIAN", "EVALUATOR"))
    assert not [b.label for b in at.get("download_button") if any(w in b.label for w in ("SDTM", "ADaM", "ODM"))]
    assert any("carry every subject's arm" in c.value for c in at.caption)
    with Store.open(tmp_path / "study.duckdb") as store:
        for kind in ("adam", "sdtm"):
            with pytest.raises(BlindedExport):
                export_zip(store, who, kind)
        with pytest.raises(BlindedExport):
            export_odm_bytes(store, who)
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'EXPORT'") == 0
