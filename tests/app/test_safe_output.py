"""Formula injection over every CSV a page offers for download: each page of the app, on a study whose
free-text fields hold spreadsheet formulas (tests/hostile.py), run as the person who sees it; every
download button pressed (its deferred CSV written by the page's own callable); no cell may start
with a formula character unless it is a plain number, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from helpers import signed_in_app
from hostile import CORRECTION_REASON, HYPERLINK, PASSWORD, hostile_store
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from trial.csv_safe import FORMULA_STARTS
from trial.governance.users import sign_in, start_session
from trial.store import Store

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    db = hostile_store(tmp_path_factory.mktemp("hostile-downloads"))
    with Store.open(db) as store:
        tokens = {name: start_session(store, sign_in(store, name, PASSWORD)) for name in ("stat", "sam", "ada")}
    return db, tokens


@pytest.fixture
def managers(monkeypatch):
    """The media file manager of each AppTest run (each run makes its own and drops it at the end):
    a download's deferred callable is registered there, and run from there as a click would."""
    import streamlit.testing.v1.app_test as app_test

    made = []

    class Kept(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Kept)
    return made


@pytest.fixture
def open_as(hostile, monkeypatch):
    db, tokens = hostile
    monkeypatch.setenv("TRIAL_DB", str(db))

    def open_page(who: str, page: str, **query) -> AppTest:
        return signed_in_app(tokens[who], page, **query)

    return open_page


def csv_downloads(at: AppTest, managers: list) -> list[tuple[str, str]]:
    """(label, text) of each CSV download on the page, as a click gives it."""
    manager = managers[-1]
    got = []
    for button in at.get("download_button"):
        if button.proto.HasField("deferred_file_id"):
            url = manager.execute_deferred(button.proto.deferred_file_id)
            file = manager._storage.get_file(url.rsplit("/", 1)[1])
            if file.mimetype == "text/csv":
                got.append((button.label, file.content.decode("utf-8")))
    return got


def downloads(at: AppTest, managers: list) -> dict[str, str]:
    return dict(csv_downloads(at, managers))


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def live_formulas(rows) -> list[str]:
    return [c for row in rows for c in row if c.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(c)]


def cells(rows) -> set[str]:
    return {c for row in rows for c in row}


PAGES = {  # page → who opens it, the address's parameters, the downloads expected and a value each must hold made text
    "views/overview.py": ("stat", {}, {"Download these findings as CSV": "'=Erythema() is not a preferred term"}),
    "views/subject.py": ("stat", {"subject": "S01-001"}, {"Download the audit history (CSV)": "'" + CORRECTION_REASON}),
    "views/tolerability.py": ("stat", {"tab": "Listing"}, {"Download the 3 events (CSV)": "'" + HYPERLINK}),
    "views/efficacy.py": ("stat", {}, {"Download values": None}),  # numbers only
    "views/admin.py": ("ada", {}, {"Export the whole trail (CSV)": "'" + CORRECTION_REASON}),
}


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: Path(p).stem)
def test_no_cell_of_a_page_download_runs_as_a_formula(open_as, managers, page):
    who, query, expected = PAGES[page]
    got = downloads(open_as(who, page, **query), managers)
    assert set(expected) <= set(got), list(got)
    for label, text in got.items():
        rows = rows_of(text)
        assert live_formulas(rows) == [], label
        if expected.get(label):
            assert any(c.startswith(expected[label]) for c in cells(rows)), (label, expected[label])


def test_the_downloads_keep_numbers_as_numbers(open_as, managers):
    listing = rows_of(downloads(open_as("stat", "views/efficacy.py"), managers)["Download values"])
    header = listing[0]
    for column in ("base", "aval", "chg"):
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", row[header.index(column)]) for row in listing[1:]), column
    trail = rows_of(downloads(open_as("ada", "views/admin.py"), managers)["Export the whole trail (CSV)"])
    assert "-3" in cells(trail) and "'-3" not in cells(trail)  # the corrected evaluator id, a number as text


def test_the_findings_download_of_the_upload_page(open_as, managers):
    at = open_as("sam", "views/upload.py")
    header = "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible"
    picker = next(iter(at.get("file_uploader")))
    picker.upload("@bad.csv", f"{header}\nS01,S01-009,2024-01-03,2024-01-03,28,=HYPERLINK(1),AGA,NORWOOD,III,IV,Y\n".encode(),
                  "text/csv")
    at = picker.run()
    assert not at.exception
    [(label, text)] = downloads(at, managers).items()
    assert label == "Download the findings (CSV)"
    rows = rows_of(text)
    assert live_formulas(rows) == [] and "'=HYPERLINK(1)" in cells(rows)


def test_the_reports_pages_csv_files_are_the_packs(open_as, managers):
    at = open_as("stat", "views/reports.py")
    at.button(key="build_pack").click().run()
    at.run()
    assert not at.exception
    got = csv_downloads(at, managers)
    labels = [label for label, _ in got]
    assert "Analysis results dataset (CSV)" in labels and labels.count("CSV") > 10  # ard.csv, each table and listing
    for label, text in got:
        assert live_formulas(rows_of(text)) == [], label
    assert any(c == "'" + HYPERLINK for _, text in got for c in cells(rows_of(text)))  # the AE listing's term
