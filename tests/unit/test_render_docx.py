"""Word rendering: each table is a real Word table laid out as the pack asks, alone and combined."""

import re

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from trial.reports.model import Column, PackInfo, Row, Table
from trial.reports.render_docx import pack_docx, table_docx

INFO = PackInfo(
    study_id="HAIR-01",
    study_title="Minoxidil with and without microneedling in androgenetic alopecia",
    data_cut="2025-03-01T12:00:00",
    data_version=7,
    lock_state="UNLOCKED",
    generated_at="2025-03-02T08:15:00",
)

DEMOGRAPHICS = Table(
    id="14.1.2",
    title="Demographics and baseline characteristics",
    population="Intent-to-treat population (all randomized subjects)",
    stub="Characteristic",
    columns=(Column("Minoxidil 5 %", 50), Column("Minoxidil 5 % + microneedling", 49), Column("Total", 99)),
    rows=(
        Row("Age (years)", ("", "", ""), 0, heading=True),
        Row("n", ("50", "49", "99"), 1),
        Row("Mean (SD)", ("34.2 (8.11)", "35.0 (7.93)", "34.6 (8.01)"), 1),
        Row("Sex, n (%)", ("", "", ""), 0, heading=True),
        Row("Female", ("20 (40.0)", "22 (44.9)", "42 (42.4)"), 1),
        Row("Male", ("30 (60.0)", "27 (55.1)", "57 (57.6)"), 1),
        Row("Grade", ("", "", ""), 0, heading=True),
        Row("Norwood III", ("10 (20.0)", "9 (18.4)", "19 (19.2)"), 1),
        Row("Vertex", ("4 (8.0)", "3 (6.1)", "7 (7.1)"), 2),
    ),
    footnotes=("Percentages use the arm's population count as denominator.", "SD: standard deviation."),
)

BY_VISIT = Table(
    id="14.2.2",
    title="Hair count by visit, region and arm",
    population="Intent-to-treat population (all randomized subjects)",
    stub="Visit / statistic",
    columns=(
        Column("Baseline"),
        Column("Week 4", 50),
        Column("Week 8", 50),
        Column("Week 12", 49),
        Column("Change at week 12", 49),
    ),
    rows=(
        Row("Vertex", ("",) * 5, 0, heading=True),
        Row("n", ("50", "50", "49", "49", "49"), 1),
        Row("Mean (SD)", ("151.2 (20.31)", "155.0 (21.02)", "160.4 (19.77)", "171.9 (22.40)", "20.6 (9.84)"), 1),
    ),
    footnotes=("Hair count per 1 cm² target area.",),
)

OVERVIEW = Table(
    id="14.3.1",
    title="Overview of treatment-emergent adverse events",
    population="Safety population (randomized and treated)",
    stub="Subjects with",
    columns=(Column("Minoxidil 5 %", 50), Column("Minoxidil 5 % + microneedling", 49)),
    rows=(Row("Any TEAE", ("12 (24.0)", "18 (36.7)")), Row("Severe TEAE", ("0", "1 (2.0)"))),
)

TABLES = [DEMOGRAPHICS, BY_VISIT, OVERVIEW]


def _body(path):
    """The document and its body in reading order: paragraphs and tables."""
    document = docx.Document(str(path))
    return document, list(document.iter_inner_content())


def _texts(grid: DocxTable) -> list[list[str]]:
    return [[cell.text.replace("\t", "") for cell in row.cells] for row in grid.rows]  # alignment tabs are layout, not text


def _flags(row) -> set[str]:
    tr_pr = row._tr.trPr
    return set() if tr_pr is None else {child.tag.split("}")[1] for child in tr_pr}


def _edges(cell) -> dict[str, str]:
    borders = cell._tc.tcPr.find(qn("w:tcBorders"))
    return {} if borders is None else {child.tag.split("}")[1]: child.get(qn("w:val")) for child in borders}


@pytest.fixture(params=TABLES, ids=lambda t: t.id)
def single(request, tmp_path):
    table = request.param
    return table, table_docx(table, INFO, tmp_path / f"t{table.id}.docx")


def test_a_single_table_document_holds_one_word_table_with_the_table_text(single):
    table, path = single
    document, _ = _body(path)
    assert len(document.tables) == 1
    header, *rows = _texts(document.tables[0])
    assert header == table.headings
    assert rows == [[row.label, *row.cells] for row in table.rows]


def test_the_title_and_population_come_before_the_table_and_the_title_is_bold(single):
    table, path = single
    _, body = _body(path)
    at = next(i for i, item in enumerate(body) if isinstance(item, DocxTable))
    title, population = body[at - 2], body[at - 1]
    assert title.text == f"Table {table.id}  {table.title}"
    assert title.style.font.bold or all(run.bold for run in title.runs)
    assert population.text == table.population


def test_the_header_row_repeats_and_no_row_splits_across_pages(single):
    _, path = single
    document, _ = _body(path)
    header, *rows = document.tables[0].rows
    assert {"tblHeader", "cantSplit"} <= _flags(header)
    assert [("cantSplit" in _flags(r), "tblHeader" in _flags(r)) for r in rows] == [(True, False)] * len(rows)


def test_footnotes_then_the_stamp_follow_the_table(single):
    table, path = single
    _, body = _body(path)
    at = next(i for i, item in enumerate(body) if isinstance(item, DocxTable))
    after = [item.text for item in body[at + 1 :] if isinstance(item, Paragraph) and item.text]
    assert after == [*table.footnotes, INFO.stamp]


def test_rules_above_and_below_the_header_and_under_the_last_row_only(single):
    _, path = single
    document, _ = _body(path)
    header, *middle, last = document.tables[0].rows
    assert [_edges(c) for c in header.cells] == [{"top": "single", "bottom": "single"}] * len(header.cells)
    assert [_edges(c) for r in middle for c in r.cells] == [{}] * sum(len(r.cells) for r in middle)
    assert [_edges(c) for c in last.cells] == [{"bottom": "single"}] * len(last.cells)
    table_borders = document.tables[0]._tbl.tblPr.find(qn("w:tblBorders"))
    assert {child.tag.split("}")[1]: child.get(qn("w:val")) for child in table_borders} == dict.fromkeys(
        ("top", "left", "bottom", "right", "insideH", "insideV"), "nil"
    )


def test_labels_are_indented_headings_bold_and_statistics_aligned(tmp_path):
    document, _ = _body(table_docx(DEMOGRAPHICS, INFO, tmp_path / "t.docx"))
    _, *rows = document.tables[0].rows
    labels = [r.cells[0].paragraphs[0] for r in rows]
    indents = [round((p.paragraph_format.left_indent or 0) / Cm(0.35), 2) for p in labels]
    assert indents == [row.indent for row in DEMOGRAPHICS.rows]
    assert [bool(p.runs) and all(run.bold for run in p.runs) for p in labels] == [row.heading for row in DEMOGRAPHICS.rows]
    alignments = {c.paragraphs[0].alignment for r in rows for c in r.cells[1:] if c.text}
    assert alignments == {WD_ALIGN_PARAGRAPH.LEFT}  # at their tab stops (see the alignment test)


def test_a_listing_keeps_its_words_left_and_its_dates_centred(tmp_path):
    listing = Table(
        "16.2.7", "Listing of adverse events", "Safety population", "Subject",
        (Column("Preferred term"), Column("Onset")),
        (Row("HAIR-01-001", ("Headache", "2024-02-11"), 1), Row("HAIR-01-002", ("Scalp pruritus", "2024-03-12"), 1)),
        listing=True,
    )
    document, _ = _body(table_docx(listing, INFO, tmp_path / "listing.docx"))
    alignments = [[c.paragraphs[0].alignment for c in row.cells] for row in document.tables[0].rows]
    left, centre = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
    assert alignments == [[left, left, centre]] * 3  # the header follows its column
    indents = [[bool(c.paragraphs[0].paragraph_format.left_indent) for c in row.cells] for row in document.tables[0].rows[1:]]
    assert indents == [[True, False, False]] * 2  # only the label is indented


def test_the_label_column_is_wider_and_the_table_spans_the_text_width(tmp_path):
    document, _ = _body(table_docx(BY_VISIT, INFO, tmp_path / "t.docx"))
    section = document.sections[0]
    widths = [cell.width for cell in document.tables[0].rows[0].cells]
    assert widths[0] > max(widths[1:])
    text_width = section.page_width - section.left_margin - section.right_margin
    assert abs(sum(widths) - text_width) < Cm(0.05)


def test_every_table_gets_a_landscape_page(tmp_path):
    for table in (BY_VISIT, DEMOGRAPHICS):
        document, _ = _body(table_docx(table, INFO, tmp_path / f"{table.id}.docx"))
        assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
        assert document.sections[0].page_width > document.sections[0].page_height


def _paragraph_of(cell):
    (paragraph,) = cell.paragraphs
    stops = [(t.get(qn("w:val")), int(t.get(qn("w:pos")))) for t in paragraph._p.iter(qn("w:tab")) if t.get(qn("w:pos"))]
    return paragraph, stops


def test_statistics_are_aligned_on_the_units_digit_of_their_first_number(tmp_path):
    document, _ = _body(table_docx(DEMOGRAPHICS, INFO, tmp_path / "aligned.docx"))
    grid = document.tables[0]
    column = [row.cells[1] for row in grid.rows[1:] if row.cells[1].text.strip()]  # n, mean (SD), n (%) rows
    stops = {tuple(_paragraph_of(cell)[1]) for cell in column}
    assert len(stops) == 1  # one pair of stops for the whole column: the units digits line up
    ((kind, at), (then, after)) = stops.pop()
    assert (kind, then) == ("right", "left") and after == at + 1
    texts = {cell.text for cell in column}
    assert {"\t50", "\t34\t.2 (8.11)", "\t20\t (40.0)"} <= texts
    assert all(_paragraph_of(cell)[0].alignment == WD_ALIGN_PARAGRAPH.LEFT for cell in column)
    # the block of whole parts and rests is centred: the stop sits inside the cell, left of its middle
    assert 0 < at < Cm(4).twips
    # the header and the label column are not tabbed
    assert _paragraph_of(grid.rows[0].cells[1])[1] == [] and _paragraph_of(grid.rows[2].cells[0])[1] == []


def test_a_row_with_the_wrong_number_of_cells_is_refused(tmp_path):
    broken = Table("14.9.9", "Broken", "ITT", "Statistic", (Column("A", 1), Column("B", 2)), (Row("n", ("1",)),))
    with pytest.raises(ValueError, match="14.9.9.*'n' has 1 cells for 2 columns"):
        table_docx(broken, INFO, tmp_path / "broken.docx")



def _listing(rows: tuple[Row, ...]) -> Table:
    columns = tuple(Column(f"Item {j}") for j in range(13))
    return Table("16.2.7", "Listing of adverse events", "Safety population", "Subject", columns, rows)


def _listing_row(i: int, *, heading: bool = False) -> Row:
    if heading:
        return Row(f"Site {i:03d}", ("",) * 13, 0, heading=True)
    cells = tuple(f"2024-{1 + i % 12:02d}-{1 + j:02d}" if j % 3 == 0 else f"Term {i} & <{j}>" for j in range(13))
    return Row(f"HAIR-01-{i:04d}", cells, 1 + i % 2)


def test_a_long_listing_is_laid_out_row_for_row_as_a_short_table(tmp_path):
    rows = tuple(_listing_row(i, heading=i % 100 == 0) for i in range(3000))
    document, _ = _body(table_docx(_listing(rows), INFO, tmp_path / "long.docx"))
    grid = document.tables[0]
    assert len(grid.rows) == 3001
    assert _texts(grid)[-1] == [rows[-1].label, *rows[-1].cells]
    assert _texts(grid)[1700] == [rows[1699].label, *rows[1699].cells]

    def xml(row):  # whether a row keeps with the next depends on the next (keeps_with_next), not on the layout
        return re.sub(r"\s*<w:keepNext/>", "", row._tr.xml)

    # the same rows in a four-row table: first, a heading and a plain row from the middle, last
    picked = (0, 1700, 1699, 2999)
    short, _ = _body(table_docx(_listing(tuple(rows[i] for i in picked)), INFO, tmp_path / "short.docx"))
    assert [xml(r) for r in short.tables[0].rows] == [xml(grid.rows[0]), *(xml(grid.rows[1 + i]) for i in picked)]

@pytest.fixture
def pack(tmp_path):
    return _body(pack_docx(TABLES, INFO, tmp_path / "pack.docx"))


def test_the_pack_opens_with_a_title_page(pack):
    _, body = pack
    before_contents = []
    for item in body:
        if item.text == "Contents":
            break
        before_contents.append(item.text)
    title_page = "\n".join(before_contents)
    for words in (INFO.study_title, INFO.study_id, "End-of-study tables", INFO.data_cut, f"Data version: {INFO.data_version}",
                  INFO.status, "DRAFT", INFO.generated_at):
        assert words in title_page, words


def test_the_pack_lists_every_table_and_has_a_word_toc_field(pack):
    document, body = pack
    first_break = next(i for i, item in enumerate(body) if item._element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None)
    contents = [item.text for item in body[:first_break]]  # the title page and contents: the first section
    listed = [text for text in contents if text.startswith("Table ")]
    assert listed == [f"Table {t.id}\t{t.title}" for t in TABLES]
    codes = [code.text.strip() for code in document.element.body.iter(qn("w:instrText"))]
    assert codes and codes[0].startswith("TOC ") and '"Table Title,1"' in codes[0]


def test_the_pack_holds_one_word_table_per_table_in_order(pack):
    document, body = pack
    assert [_texts(grid)[0] for grid in document.tables] == [t.headings for t in TABLES]
    assert [_texts(grid)[1:] for grid in document.tables] == [[[r.label, *r.cells] for r in t.rows] for t in TABLES]
    titles = [body[i - 2].text for i, item in enumerate(body) if isinstance(item, DocxTable)]
    assert titles == [f"Table {t.id}  {t.title}" for t in TABLES]


def test_each_table_has_its_own_landscape_section(pack):
    document, _ = pack
    assert len(document.sections) == 1 + len(TABLES)
    assert all(s.page_width > s.page_height and s.orientation == WD_ORIENT.LANDSCAPE for s in document.sections)
    title, *sections = document.sections
    assert [s.start_type for s in sections] == [docx.enum.section.WD_SECTION.NEW_PAGE] * len(TABLES)


def test_the_pack_pages_carry_the_study_the_population_the_data_cut_the_program_and_page_x_of_y(tmp_path):
    info = PackInfo(**{**INFO.__dict__, "sponsor": "Acme Pharma", "program": "trial 0.1.0"})
    tables = [Table(**{**t.__dict__, "source": f"trial.reports.layouts.t{i}"}) for i, t in enumerate(TABLES)]
    document, _ = _body(pack_docx(tables, info, tmp_path / "pack.docx"))
    assert document.sections[0].different_first_page_header_footer  # the title page is bare
    for section, table in zip(document.sections[1:], tables, strict=True):
        assert not section.different_first_page_header_footer
        top, second = (p.text for p in section.header.paragraphs)
        assert top == f"Acme Pharma · {INFO.study_id}  {INFO.study_title}"  # alone: a long title runs into nothing
        assert second == f"{table.population}\t{INFO.status} · Data cut {INFO.data_cut} (version {INFO.data_version})"
        footer = section.footer.paragraphs[0]
        assert footer.text.startswith(f"Program: {table.source} (trial 0.1.0) · run {INFO.generated_at}\tPage ")
        codes = [code.text.strip() for code in footer._p.iter(qn("w:instrText"))]
        assert codes == ["PAGE", "NUMPAGES"] and " of " in footer.text
        for paragraph in (section.header.paragraphs[1], footer):  # each line's one tab goes to the right edge
            (stop,) = paragraph.paragraph_format.tab_stops
            assert abs(stop.position - (section.page_width - section.left_margin - section.right_margin)) < Cm(0.05)
    for name in ("Header", "Footer"):  # no portrait stop in the styles to catch the tab mid-page first
        assert len(document.styles[name].paragraph_format.tab_stops) == 0


def test_a_listing_puts_each_site_on_its_own_page_under_its_own_header_row(tmp_path):
    rows = tuple(_listing_row(i, heading=i % 4 == 0) for i in range(12))  # sites 000, 004, 008
    listing = Table(**{**_listing(rows).__dict__, "listing": True})
    document, body = _body(table_docx(listing, INFO, tmp_path / "by-site.docx"))
    assert [grid.rows[1].cells[0].text for grid in document.tables] == ["Site 000", "Site 004", "Site 008"]
    assert all(grid.rows[0].cells[0].text == "Subject" for grid in document.tables)
    assert sum(len(grid.rows) - 1 for grid in document.tables) == len(rows)
    breaks = [b for b in body if isinstance(b, Paragraph) and b.paragraph_format.page_break_before]
    assert len(breaks) == 2  # before the second and the third site
    titles = [b for b in body if isinstance(b, Paragraph) and b.text.startswith("Listing 16.2.7")]
    assert len(titles) == 1  # one entry in the contents


def test_a_listing_sizes_its_columns_to_their_words(tmp_path):
    listing = Table(
        "16.2.7", "Listing of adverse events", "Safety population", "Subject",
        (Column("No."), Column("Suspected cause"), Column("Verbatim term")),
        (Row("S01-001", ("1", "MICRONEEDLING", "small bleeding spots on the scalp after the session"), 1),),
        listing=True,
    )
    document, _ = _body(table_docx(listing, INFO, tmp_path / "fitted.docx"))
    number, cause, verbatim = (cell.width for cell in document.tables[0].rows[0].cells[1:])
    assert number < cause < verbatim
    assert cause > Cm(2.2)  # MICRONEEDLING on one line


VISIT_BLOCKS = Table(
    id="14.2.2", title="Hair count by visit", population="Intent-to-treat population", stub="Visit",
    columns=(Column("Minoxidil 5 %", 50), Column("Minoxidil 5 % + microneedling", 50)),
    rows=(
        Row("Hair count, target", ("", ""), 0, heading=True),
        Row("Week 4", ("n=50", "n=50"), 1),
        Row("Value, mean (SD)", ("176.5 (26.86)", "179.7 (38.90)"), 2),
        Row("Change, mean (SD)", ("8.3 (6.60)", "29.9 (10.67)"), 2),
        Row("Week 8", ("n=50", "n=48"), 1),
        Row("Value, mean (SD)", ("184.0 (26.91)", "210.5 (43.99)"), 2),
        Row("Change, mean (SD)", ("15.8 (12.30)", "62.3 (18.83)"), 2),
        Row("Density, target", ("", ""), 0, heading=True),
        Row("n", ("50", "50"), 1),
        Row("Mean", ("1", "2"), 1),
    ),
)


def test_a_visits_rows_keep_together_and_a_page_may_fall_only_between_blocks(tmp_path):
    """A page break may come after a visit's last statistic or between rows of one level, never
    between a visit and its statistics, nor a heading and its first row (LibreOffice broke 14.2.2
    after "Change, mean (SD)", leaving "% change" alone at the head of the next page)."""
    from trial.reports.model import keeps_with_next

    expected = [True, True, True, False, True, True, False, True, False, False]
    assert keeps_with_next(VISIT_BLOCKS.rows) == expected
    assert keeps_with_next(()) == [] and keeps_with_next(VISIT_BLOCKS.rows[:1]) == [True]  # a table with no rows yet writes too
    document, _ = _body(table_docx(VISIT_BLOCKS, INFO, tmp_path / "by-visit.docx"))
    grid = document.tables[0]
    kept = [all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs) for row in grid.rows[1:]]
    assert kept == expected
