"""The Reports page's CDISC section: an unblinded statistician gets the ADaM zip (XPT, Dataset-JSON
and define.xml, each export audited); a statistician blinded by the study gets a sentence and no
button, and the function behind the button refuses them too."""

from __future__ import annotations

import io
import zipfile

import pytest
from helpers import APP, TEAM_PASSWORD, team_store
from streamlit.testing.v1 import AppTest

from trial.cdisc.export import BlindedExport, export_adam_zip
from trial.governance.users import sign_in, start_session
from trial.store import Store

PAGE = "views/reports.py"
FILES = sorted([f"adam/{n}.{x}" for n in ("adsl", "adhc", "adpt", "adga", "adae") for x in ("xpt", "json")] + ["adam/define.xml"])


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


def test_an_unblinded_statistician_downloads_the_adam_zip_and_it_is_audited(tmp_path, monkeypatch):
    at, who = _page(tmp_path, monkeypatch)
    assert "Download the ADaM datasets (zip)" in [b.label for b in at.get("download_button")]
    with Store.open(tmp_path / "study.duckdb") as store:
        blob = export_adam_zip(store, who)  # what the button hands over when clicked
        exports = store.query("SELECT user_name, new_value FROM audit_trail WHERE action = 'EXPORT'")
    assert sorted(zipfile.ZipFile(io.BytesIO(blob)).namelist()) == FILES
    assert exports.values.tolist() == [["stat", "ADaM datasets"]]


def test_a_blinded_statistician_gets_a_sentence_and_no_button(tmp_path, monkeypatch):
    at, who = _page(tmp_path, monkeypatch, blinded_roles=("STATISTICIAN", "EVALUATOR"))
    assert "Download the ADaM datasets (zip)" not in [b.label for b in at.get("download_button")]
    assert any("carry every subject's arm" in c.value for c in at.caption)
    with Store.open(tmp_path / "study.duckdb") as store, pytest.raises(BlindedExport):
        export_adam_zip(store, who)
