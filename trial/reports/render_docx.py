"""Word rendering of the pack: one document per table, and one combined document.

A table is drawn as a real Word table in the clinical-report style: the number and title in bold,
the population, a header row (repeated on every page) between two rules, the body rows with their
labels indented and their statistics centred, one rule under the last row, then the footnotes and
the data-cut stamp. Cells arrive formatted (see ``model``); nothing here computes or rounds.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor

from trial.reports.model import PackInfo, Row, Table

FONT = "Calibri"
PAGE = (Cm(21.0), Cm(29.7))  # A4, portrait
MARGIN = Cm(2.0)
INDENT = Cm(0.35)  # per indent level of a row label
LABEL_WEIGHT = 2.0  # the label column is this many times as wide as a statistic column
# Rough widths of 9 pt Calibri characters, for sizing a listing's columns to their text.
WIDE, NARROW, THIN = Pt(5.4), Pt(4.5), Pt(2.6)  # capitals, digits and _; lower case and other marks; spaces
CELL_MARGIN = Cm(0.1)  # left and right inside a listing's cells (Word's default is 0.19 cm)
RULE = 6  # rule thickness in eighths of a point (0.75 pt)
GREY = RGBColor(0x59, 0x59, 0x59)

TITLE_STYLE = "Table Title"  # the table of contents collects the paragraphs of this style
TEXT_STYLE = "Table Text"
NOTE_STYLE = "Table Note"
ROWS_PER_PARSE = 500  # body rows are written as XML text and parsed this many at a time


# ---- document, styles and sections -----------------------------------------------------------


def _new_document() -> DocxDocument:
    """An empty document with the pack's fonts and paragraph styles."""
    document = Document()
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_before, normal.paragraph_format.space_after = Pt(0), Pt(0)
    for name, size, bold, after in ((TITLE_STYLE, 11, True, 2), (TEXT_STYLE, 9, False, 0), (NOTE_STYLE, 8, False, 1)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size, style.font.bold = Pt(size), bold
        style.paragraph_format.space_after = Pt(after)
    for name in ("Header", "Footer"):
        styles[name].font.size, styles[name].font.color.rgb = Pt(8), GREY
    title = styles[TITLE_STYLE]
    title.paragraph_format.keep_with_next = True
    outline = OxmlElement("w:outlineLvl")  # a level-1 entry in the navigation pane and PDF bookmarks
    outline.set(qn("w:val"), "0")
    title.element.get_or_add_pPr().insert_element_before(outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
    return document


def _set_page(section, landscape: bool) -> None:
    """A4 with 2 cm margins; landscape swaps width and height."""
    width, height = PAGE
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.0)


def _text_width(section) -> int:
    return section.page_width - section.left_margin - section.right_margin


def _set_header_footer(section, info: PackInfo) -> None:
    """Study id and data cut in the header; ``Page X of Y`` in the footer."""
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.add_run(f"{info.study_id} · data cut {info.data_cut}")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("Page ", "PAGE"), (" of ", "NUMPAGES")):
        footer.add_run(text)
        _add_field(footer, field, "1")


# ---- field codes, runs, cells and borders ------------------------------------------------------


def _field_char(paragraph, kind: str) -> None:
    run = paragraph.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run._r.append(char)


def _field_begin(paragraph, instruction: str) -> None:
    """Open a field: what follows, up to ``_field_char(p, "end")``, is its last computed result."""
    _field_char(paragraph, "begin")
    run = paragraph.add_run()
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run._r.append(code)
    _field_char(paragraph, "separate")


def _add_field(paragraph, instruction: str, shown: str) -> None:
    """A field such as ``PAGE`` inside a paragraph, showing ``shown`` until Word updates it."""
    _field_begin(paragraph, instruction)
    paragraph.add_run(shown)
    _field_char(paragraph, "end")


def _small(run, size: float, colour: RGBColor) -> None:
    run.font.size, run.font.color.rgb = Pt(size), colour


def _rules(cell, *edges: str) -> None:
    """Draw a horizontal rule on the given edges (``top``, ``bottom``) of a cell."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.insert_element_before(borders, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
    for edge in edges:
        line = OxmlElement(f"w:{edge}")
        for key, value in (("val", "single"), ("sz", str(RULE)), ("space", "0"), ("color", "000000")):
            line.set(qn(f"w:{key}"), value)
        borders.append(line)


def _no_borders(table) -> None:
    """Remove every table border (the rules are drawn on cells)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "nil")
        borders.append(line)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")


def _cell_margins(table, margin) -> None:
    """The left and right space inside every cell of the table."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        side = OxmlElement(f"w:{edge}")
        side.set(qn("w:w"), str(Emu(margin).twips))
        side.set(qn("w:type"), "dxa")
        margins.append(side)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _row_flags(row, *flags: str) -> None:
    """Set row properties such as ``cantSplit`` (keep on one page) and ``tblHeader`` (repeat)."""
    tr_pr = row._tr.get_or_add_trPr()
    for flag in flags:
        tr_pr.append(OxmlElement(f"w:{flag}"))


def _fill(cell, text: str, *, align=WD_ALIGN_PARAGRAPH.LEFT, bold: bool = False, indent: int = 0) -> None:
    """Write one cell's text in the table style, aligned and indented."""
    paragraph = cell.paragraphs[0]
    paragraph.style = TEXT_STYLE
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.left_indent = INDENT * indent
    if text:
        paragraph.add_run(text).bold = bold or None


def _air(cells, before: float | None = None, after: float | None = None) -> None:
    """Space (points) above and/or below the text of these cells, clear of the rules."""
    for cell in cells:
        spacing = cell.paragraphs[0].paragraph_format
        if before is not None:
            spacing.space_before = Pt(before)
        if after is not None:
            spacing.space_after = Pt(after)


def _is_text_column(table: Table, index: int) -> bool:
    """A column of words (a listing's terms) is left-aligned; one of statistics is centred."""
    cells = [row.cells[index] for row in table.rows if not row.heading and row.cells[index].strip()]
    return sum(any(ch.isalpha() for ch in cell) for cell in cells) * 2 > len(cells)


# ---- body rows as XML text ---------------------------------------------------------------------
#
# Filling a cell through python-docx costs about 1.5 ms, so a listing of thousands of rows would take
# minutes. The body rows are instead written as ``<w:tr>`` text carrying exactly what ``_fill``,
# ``_row_flags``, ``_rules``, ``_air`` and ``cell.width`` would set, and parsed a few hundred at a time.
# The header row still goes through python-docx.

_BREAKS = re.compile(r"(\t|\r|\n)")
_RULE_XML = f'<w:bottom w:val="single" w:sz="{RULE}" w:space="0" w:color="000000"/>'
_AIR = str(Pt(2).twips)


def _run_xml(text: str, bold: bool) -> str:
    """A ``<w:r>`` as ``paragraph.add_run(text).bold = bold or None`` writes it."""
    content = []
    for piece in _BREAKS.split(text):
        if piece == "\t":
            content.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            content.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            content.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return f"<w:r>{'<w:rPr><w:b/></w:rPr>' if bold else '<w:rPr/>'}{''.join(content)}</w:r>"


def _cell_xml(text: str, *, width: int, align: str, style: str, bold: bool, indent: int, keep: bool, before: bool, after: bool, rule: bool) -> str:
    """One body cell: its width (twips), bottom rule, and one paragraph in the table text style."""
    borders = f"<w:tcBorders>{_RULE_XML}</w:tcBorders>" if rule else ""
    spacing = ""
    if before or after:
        spacing = "<w:spacing" + (f' w:before="{_AIR}"' if before else "") + (f' w:after="{_AIR}"' if after else "") + "/>"
    ind = f'<w:ind w:left="{Emu(INDENT * indent).twips}"/>' if indent else ""
    keep_next = "<w:keepNext/>" if keep else ""
    run = _run_xml(text, bold) if text else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{borders}</w:tcPr>'
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep_next}{spacing}{ind}<w:jc w:val="{align}"/></w:pPr>{run}</w:p></w:tc>'
    )


def _body_row_xml(row, *, widths: list[int], aligns: list[str], style: str, first: bool, last: bool) -> str:
    """One body row as ``<w:tr>`` text (namespace prefix ``w`` declared by the caller).

    ``widths`` are in twips and ``aligns`` are ``w:jc`` values, label column first; ``first`` and
    ``last`` add the air above the first and below the last row, ``last`` the rule under it.
    """
    common = {"style": style, "bold": row.heading, "keep": row.heading, "before": first, "after": last, "rule": last}
    cells = [_cell_xml(row.label, width=widths[0], align=aligns[0], indent=row.indent, **common)]
    cells += [_cell_xml(text, width=w, align=a, indent=0, **common) for text, w, a in zip(row.cells, widths[1:], aligns[1:], strict=True)]
    return f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>"


def _append_body(grid, rows, *, widths: list[int], aligns: list, style: str) -> None:
    """Append the body rows to a python-docx table, parsing their XML ``ROWS_PER_PARSE`` at a time."""
    twips = [Emu(w).twips for w in widths]
    jc = [WD_ALIGN_PARAGRAPH.to_xml(a) for a in aligns]
    last = len(rows) - 1
    tbl = grid._tbl
    for start in range(0, len(rows), ROWS_PER_PARSE):
        chunk = [
            _body_row_xml(row, widths=twips, aligns=jc, style=style, first=i == 0, last=i == last)
            for i, row in enumerate(rows[start : start + ROWS_PER_PARSE], start)
        ]
        parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(chunk)}</w:tbl>")
        tbl.extend(list(parsed))


# ---- the table ---------------------------------------------------------------------------------


def _site_groups(rows: tuple[Row, ...]) -> list[tuple[Row, ...]]:
    """A listing's rows cut before each heading row (one group per site)."""
    cuts = [i for i, row in enumerate(rows) if row.heading and i > 0]
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)] if rows else [rows]


def _width_of(text: str) -> int:
    """About how wide ``text`` prints in the table text style (EMU)."""
    return sum(WIDE if ch.isupper() or ch.isdigit() or ch == "_" else THIN if ch.isspace() else NARROW for ch in text)


def _fitted_widths(table: Table, total: int) -> list[int]:
    """Column widths (EMU) for a listing: each column gets at least its longest word, so no word is
    cut, and the width left over goes to the columns whose typical (90th percentile) text is longer."""
    body = [(row.label, *row.cells) for row in table.rows if not row.heading]
    least, extra = [], []
    for index, heading in enumerate(table.headings):
        cells = [record[index] for record in body]
        longest_word = max((_width_of(word) for text in (heading, *cells) for word in text.split()), default=0)
        lengths = sorted(_width_of(cell) for cell in cells) or [0]
        typical = lengths[int(0.9 * (len(lengths) - 1))]
        inside = 2 * CELL_MARGIN + Pt(4) + (INDENT if index == 0 else 0)  # the label column's rows are indented
        least.append(longest_word + inside)
        extra.append(max(typical - longest_word, 0))
    room = total - sum(least)
    if room <= 0:  # not even the longest words fit: shrink every column alike
        widths = [w * total / sum(least) for w in least]
    elif sum(extra):
        widths = [w + room * e / sum(extra) for w, e in zip(least, extra, strict=True)]
    else:
        widths = [w + room / len(least) for w in least]
    whole = [int(w) for w in widths]
    whole[0] += total - sum(whole)  # whole EMUs adding up to the text width
    return whole


def _grid(document: DocxDocument, headings: list[str], rows, *, widths: list[int], aligns: list, total: int, narrow: bool) -> None:
    """One Word table: the header row (repeated on every page) between two rules, then the body;
    ``narrow`` cells have small inner margins (a listing's many columns)."""
    grid = document.add_table(rows=1, cols=len(headings))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _no_borders(grid)
    if narrow:
        _cell_margins(grid, CELL_MARGIN)
    grid._tbl.tblPr.find(qn("w:tblW")).set(qn("w:type"), "dxa")
    grid._tbl.tblPr.find(qn("w:tblW")).set(qn("w:w"), str(Emu(total).twips))
    for column, w in zip(grid.columns, widths, strict=True):
        column.width = w
    (header,) = grid.rows
    _row_flags(header, "cantSplit", "tblHeader")
    for cell, text, align, w in zip(header.cells, headings, aligns, widths, strict=True):
        _fill(cell, text, align=align, bold=True)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        _rules(cell, "top", "bottom")
        cell.width = w
    # a little air between the text and the rules
    _air(header.cells, before=2, after=2)
    _append_body(grid, rows, widths=widths, aligns=aligns, style=document.styles[TEXT_STYLE].style_id)


def add_table(document: DocxDocument, table: Table, info: PackInfo) -> None:
    """Append one table of the pack to the last section of ``document``.

    Parameters
    ----------
    document : docx.document.Document
        A document made by this module; the table spans the text width of its last section.
    table : Table
        The table: title, population, headings, formatted rows and footnotes.
    info : PackInfo
        The study and data cut, printed under the footnotes.

    Raises
    ------
    ValueError
        When a row has a different number of cells than the table has columns.
    """
    width = len(table.columns)
    for row in table.rows:
        if len(row.cells) != width:
            raise ValueError(f"Table {table.id}: row {row.label!r} has {len(row.cells)} cells for {width} columns.")
    document.add_paragraph(f"Table {table.id}  {table.title}", style=TITLE_STYLE)
    population = document.add_paragraph(table.population)
    population.paragraph_format.keep_with_next = True
    population.paragraph_format.space_after = Pt(4)

    total = _text_width(document.sections[-1])
    if table.listing:
        widths = _fitted_widths(table, total)
    else:
        share = int(total / (LABEL_WEIGHT + width))
        widths = [total - share * width, *[share] * width]
    left, centre = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
    aligns = [left, *(left if _is_text_column(table, i) else centre for i in range(width))]
    groups = _site_groups(table.rows) if table.listing else [table.rows]
    for number, rows in enumerate(groups):
        if number:  # each site of a listing starts a page, under its own copy of the header row
            document.add_paragraph().paragraph_format.page_break_before = True
        _grid(document, table.headings, rows, widths=widths, aligns=aligns, total=total, narrow=table.listing)

    notes = [document.add_paragraph(note, style=NOTE_STYLE) for note in table.footnotes]
    stamp = document.add_paragraph(style=NOTE_STYLE)
    _small(stamp.add_run(info.stamp), 7.5, GREY)
    [*notes, stamp][0].paragraph_format.space_before = Pt(4)
    if notes:
        stamp.paragraph_format.space_before = Pt(2)


# ---- the two documents -------------------------------------------------------------------------


def table_docx(table: Table, info: PackInfo, path: Path) -> Path:
    """Write one table as its own Word document.

    Parameters
    ----------
    table : Table
        The table to draw; ``table.landscape`` chooses the page orientation.
    info : PackInfo
        The study, data cut and lock state for the stamp, header and footer.
    path : Path
        Where to write the ``.docx``.

    Returns
    -------
    Path
        ``path``, written.
    """
    document = _new_document()
    section = document.sections[0]
    _set_page(section, table.landscape)
    _set_header_footer(section, info)
    add_table(document, table, info)
    path = Path(path)
    document.save(path)
    return path


def _title_page(document: DocxDocument, tables: list[Table], info: PackInfo) -> None:
    """The title page, then the contents: a Word TOC field whose shown result lists every table."""
    lines = [
        (info.study_title, 20, True, 60),
        (info.study_id, 14, False, 6),
        ("End-of-study tables", 16, True, 36),
        (f"Data cut: {info.data_cut}", 11, False, 4),
        (f"Data version: {info.data_version}", 11, False, 4),
        (f"Database lock state: {info.lock_state}", 11, False, 4),
        (f"Generated at: {info.generated_at}", 11, False, 4),
        (f"Tables: {len(tables)}", 11, False, 4),
    ]
    for text, size, bold, before in lines:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(before)
        run = paragraph.add_run(text)
        run.font.size, run.bold = Pt(size), bold or None
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    heading = document.add_paragraph()
    heading.paragraph_format.space_after = Pt(12)
    run = heading.add_run("Contents")
    run.font.size, run.bold = Pt(14), True
    # The field's shown result is the plain list: readable as it is, replaced by Word's own
    # table of contents (with page numbers) when the reader updates fields (F9).
    entries = [document.add_paragraph() for _ in tables] or [document.add_paragraph()]
    _field_begin(entries[0], f'TOC \\h \\z \\t "{TITLE_STYLE},1"')
    for paragraph, table in zip(entries, tables, strict=False):
        paragraph.paragraph_format.space_after = Pt(3)
        paragraph.paragraph_format.left_indent = Cm(2.2)
        paragraph.paragraph_format.first_line_indent = Cm(-2.2)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(2.2))
        paragraph.add_run(f"Table {table.id}\t{table.title}")
    _field_char(entries[-1], "end")
    note = document.add_paragraph(style=NOTE_STYLE)
    note.paragraph_format.space_before = Pt(12)
    _small(note.add_run("Page numbers appear when fields are updated (F9 in Word)."), 8, GREY)


def pack_docx(tables: list[Table], info: PackInfo, path: Path) -> Path:
    """Write the combined document: title page, contents, then every table in its own section.

    Parameters
    ----------
    tables : list of Table
        The tables in pack order; each starts on a new page, portrait or landscape as it asks.
    info : PackInfo
        The study, data cut, data version, lock state and generation time.
    path : Path
        Where to write the ``.docx``.

    Returns
    -------
    Path
        ``path``, written.
    """
    document = _new_document()
    first = document.sections[0]
    _set_page(first, landscape=False)
    _set_header_footer(first, info)  # later sections inherit the header and footer
    first.different_first_page_header_footer = True  # a bare title page
    _title_page(document, tables, info)
    for table in tables:
        section = document.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False
        _set_page(section, table.landscape)
        add_table(document, table, info)
    path = Path(path)
    document.save(path)
    return path
