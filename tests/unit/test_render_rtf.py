"""RTF rendering: each table and listing reads back (with an independent reader, striprtf) to the
table's own cells, on landscape pages, with the header row repeated, decimal stops shared by a
column, the draft mark and page x of y."""

import re

import pytest
from striprtf.striprtf import rtf_to_text
from test_render_docx import DEMOGRAPHICS, INFO, OVERVIEW, _listing_row

from trial.reports.model import Column, PackInfo, Row, Table
from trial.reports.render_rtf import table_rtf


def _read(path) -> list[list[str]]:
    """The table rows as striprtf reads them: one line a row, ``|`` after each cell, tabs dropped."""
    lines = rtf_to_text(path.read_text(encoding="ascii")).splitlines()
    return [line.replace("\t", "").split("|")[:-1] for line in lines if line.endswith("|")]


@pytest.mark.parametrize("table", [DEMOGRAPHICS, OVERVIEW], ids=lambda t: t.id)
def test_a_table_reads_back_cell_for_cell(tmp_path, table):
    path = table_rtf(table, INFO, tmp_path / "t.rtf")
    header, *rows = _read(path)
    assert header == table.headings
    assert rows == [[row.label, *row.cells] for row in table.rows]
    text = rtf_to_text(path.read_text(encoding="ascii"))
    assert text.startswith(f"{table.caption}  {table.title}\n{table.population}\n")
    for note in (*table.footnotes, INFO.stamp):
        assert note in text


def test_the_page_is_landscape_a4_with_the_draft_mark_and_page_x_of_y(tmp_path):
    rtf = table_rtf(DEMOGRAPHICS, INFO, tmp_path / "t.rtf").read_text(encoding="ascii")
    assert rtf.startswith(r"{\rtf1") and rtf.endswith("}")
    assert rtf.count("{") == rtf.count("}")  # no text brace is left unescaped
    assert r"\paperw16838\paperh11906\landscape" in rtf
    header = re.search(r"\{\\header(.*?)\\par\}", rtf).group(1)
    assert INFO.study_id in header and r"\b DRAFT" in header
    assert DEMOGRAPHICS.population in header and f"Data cut {INFO.data_cut} (version {INFO.data_version})" in header
    sourced = Table(**{**DEMOGRAPHICS.__dict__, "source": "trial.reports.layouts_baseline.demographics"})
    info = PackInfo(**{**INFO.__dict__, "sponsor": "Acme Pharma", "program": "trial 0.1.0"})
    rtf = table_rtf(sourced, info, tmp_path / "s.rtf").read_text(encoding="ascii")
    header = re.search(r"\{\\header(.*?)\\par\}", rtf).group(1)
    footer = re.search(r"\{\\footer(.*?)\\par\}", rtf).group(1)
    assert header.index("Acme Pharma") < header.index(INFO.study_id) < header.index(r"\tab \b DRAFT")
    assert f"Program: trial.reports.layouts_baseline.demographics (trial 0.1.0) \\u183? run {INFO.generated_at}" in footer
    assert r"{\*\fldinst PAGE}" in rtf and r"{\*\fldinst NUMPAGES}" in rtf
    locked = PackInfo(**{**INFO.__dict__, "lock_state": "LOCKED", "locked_at": "2025-04-01 10:00 UTC"})
    final = table_rtf(DEMOGRAPHICS, locked, tmp_path / "final.rtf").read_text(encoding="ascii")
    assert "DRAFT" not in final and "Final \\u183? database locked 2025-04-01 10:00 UTC" in final


def test_a_statistic_column_shares_one_pair_of_decimal_stops(tmp_path):
    rtf = table_rtf(DEMOGRAPHICS, INFO, tmp_path / "t.rtf").read_text(encoding="ascii")
    body_rows = [line for line in rtf.splitlines() if line.startswith(r"\trowd") and r"\trhdr" not in line]
    stops = set()
    for line in body_rows:
        cells = line.split(r"\cell ")[:-1]
        stops |= {(i, m) for i, cell in enumerate(cells) for m in re.findall(r"\\tqr\\tx(\d+)\\tx\d+", cell)}
    by_column = {}
    for column, stop in stops:
        by_column.setdefault(column, set()).add(stop)
    assert sorted(by_column) == [1, 2, 3] and all(len(s) == 1 for s in by_column.values())
    assert r"\tab 34\tab .2 (8.11)" in rtf  # the whole part at the right stop, the rest after it


def test_text_that_rtf_would_misread_is_escaped(tmp_path):
    table = Table("14.9.1", "Odd {text} \\ here", "ITT", "Statistic", (Column("µg/cm²", 3),),
                  (Row("Mean – SD ≥ 1", ("{1}",)), Row("Backslash \\par", ("}{",)), Row("Smile 🙂", ("1",))))
    path = table_rtf(table, INFO, tmp_path / "odd.rtf")
    header, *rows = _read(path)
    assert header == ["Statistic", "µg/cm² (N=3)"]
    assert rows[:2] == [["Mean – SD ≥ 1", "{1}"], ["Backslash \\par", "}{"]]
    rtf = path.read_text(encoding="ascii")
    assert r"\{1\}" in rtf and r"Backslash \\par" in rtf
    assert r"Smile \u-10179?\u-8638?" in rtf  # beyond the BMP: its two UTF-16 halves (striprtf leaves them unpaired)


def test_a_listing_puts_each_site_on_its_own_page_under_its_own_header_row(tmp_path):
    rows = tuple(_listing_row(i, heading=i % 4 == 0) for i in range(12))
    columns = tuple(Column(f"Item {j}") for j in range(13))
    listing = Table("16.2.7", "Listing of adverse events", "Safety population", "Subject", columns, rows, listing=True)
    rtf = table_rtf(listing, INFO, tmp_path / "listing.rtf").read_text(encoding="ascii")
    assert rtf.count(r"\trhdr") == 3 and rtf.count(r"\page") == 2
    read = _read(tmp_path / "listing.rtf")
    assert [r for r in read if r[0] != "Subject"] == [[row.label, *row.cells] for row in rows]
    assert r"\intbl\ql\tqr" not in rtf and r"\intbl\qc\tqr" not in rtf  # a listing's records are not decimal-aligned


def test_a_row_with_the_wrong_number_of_cells_is_refused(tmp_path):
    broken = Table("14.9.9", "Broken", "ITT", "Statistic", (Column("A", 1), Column("B", 2)), (Row("n", ("1",)),))
    with pytest.raises(ValueError, match="14.9.9.*'n' has 1 cells for 2 columns"):
        table_rtf(broken, INFO, tmp_path / "broken.rtf")
