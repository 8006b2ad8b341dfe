"""Word rendering of the pack: one document per table, and one combined document.

A table is drawn as a real Word table in the clinical-report style: the number and title in bold,
the population, a header row (repeated on every page) between two rules, the body rows with their
labels indented and their statistics centred, one rule under the last row, then the footnotes and
the data-cut stamp. Cells arrive formatted (see ``model``); nothing here computes or rounds.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt

from trial.reports.docx_parts import (GREY, INDENT, NOTE_STYLE, RULE, TEXT_STYLE, TITLE_STYLE, air, cell_margins,
                                      field_begin, field_char, fill, new_document, no_borders, row_flags, rules,
                                      set_header_footer, set_page, small, text_width)
from trial.reports.align import is_text_column
from trial.reports.align import split as align_split
from trial.reports.columns import CELL_MARGIN, column_widths, decimal_stops, site_groups
from trial.reports.model import PackInfo, Table, keeps_with_next


FIGURE_SOURCE = "trial.reports.pack_figures"
FIGURE_TEXT_ROOM = Cm(3.6)  # of a page's height, left for a figure's title, population and footnotes
ROWS_PER_PARSE = 500  # body rows are written as XML text and parsed this many at a time


# ---- body rows as XML text ---------------------------------------------------------------------
#
# Filling a cell through python-docx costs about 1.5 ms, so a listing of thousands of rows would take
# minutes. The body rows are instead written as ``<w:tr>`` text carrying exactly what ``fill``,
# ``row_flags``, ``rules``, ``air`` and ``cell.width`` would set, and parsed a few hundred at a time.
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


def _cell_xml(text: str, *, width: int, align: str, style: str, bold: bool, indent: int, keep: bool, before: bool, after: bool,
              rule: bool, tab: int | None = None) -> str:
    """One body cell: its width (twips), bottom rule, and one paragraph in the table text style.

    With ``tab`` (twips from the cell's left text edge) a statistic is decimal-aligned (see
    ``align``): its whole part right-aligned at a tab stop there, the rest from a left stop just after.
    """
    parts = align_split(text) if tab is not None else None
    tabs = ""
    if parts:
        whole, rest = parts
        text, align = "\t" + whole + ("\t" + rest if rest else ""), "left"
        tabs = f'<w:tabs><w:tab w:val="right" w:pos="{tab}"/><w:tab w:val="left" w:pos="{tab + 1}"/></w:tabs>'
    elif tab is not None:
        align = "center"
    borders = f"<w:tcBorders>{_RULE_XML}</w:tcBorders>" if rule else ""
    spacing = ""
    if before or after:
        spacing = "<w:spacing" + (f' w:before="{_AIR}"' if before else "") + (f' w:after="{_AIR}"' if after else "") + "/>"
    ind = f'<w:ind w:left="{Emu(INDENT * indent).twips}"/>' if indent else ""
    keep_next = "<w:keepNext/>" if keep else ""
    run = _run_xml(text, bold) if text else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{borders}</w:tcPr>'
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep_next}{tabs}{spacing}{ind}<w:jc w:val="{align}"/></w:pPr>{run}</w:p></w:tc>'
    )


def _body_row_xml(row, *, widths: list[int], aligns: list[str], tabs: list[int | None], style: str, first: bool, last: bool,
                  keep: bool) -> str:
    """One body row as ``<w:tr>`` text (namespace prefix ``w`` declared by the caller).

    ``widths`` are in twips and ``aligns`` are ``w:jc`` values, label column first; ``tabs`` are the
    decimal-alignment stops of the statistic columns (None where a column is not aligned); ``first``
    and ``last`` add the air above the first and below the last row, ``last`` the rule under it;
    ``keep`` keeps the row on the page of the next (``model.keeps_with_next``).
    """
    common = {"style": style, "bold": row.heading, "keep": keep, "before": first, "after": last, "rule": last}
    cells = [_cell_xml(row.label, width=widths[0], align=aligns[0], indent=row.indent, **common)]
    cells += [_cell_xml(text, width=w, align=a, indent=0, tab=t, **common)
              for text, w, a, t in zip(row.cells, widths[1:], aligns[1:], tabs, strict=True)]
    return f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>"


def _append_body(grid, rows, *, widths: list[int], aligns: list, tabs: list[int | None], style: str, listing: bool) -> None:
    """Append the body rows to a python-docx table, parsing their XML ``ROWS_PER_PARSE`` at a time."""
    twips = [Emu(w).twips for w in widths]
    jc = [WD_ALIGN_PARAGRAPH.to_xml(a) for a in aligns]
    last = len(rows) - 1
    keeps = keeps_with_next(rows, listing=listing)
    tbl = grid._tbl
    for start in range(0, len(rows), ROWS_PER_PARSE):
        chunk = [
            _body_row_xml(row, widths=twips, aligns=jc, tabs=tabs, style=style, first=i == 0, last=i == last, keep=keeps[i])
            for i, row in enumerate(rows[start : start + ROWS_PER_PARSE], start)
        ]
        parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(chunk)}</w:tbl>")
        tbl.extend(list(parsed))


# ---- the table ---------------------------------------------------------------------------------


def _grid(document: DocxDocument, headings: list[str], rows, *, widths: list[int], aligns: list, tabs: list[int | None],
          total: int, narrow: bool) -> None:
    """One Word table: the header row (repeated on every page) between two rules, then the body;
    ``narrow`` cells have small inner margins (a listing's many columns)."""
    grid = document.add_table(rows=1, cols=len(headings))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    no_borders(grid)
    if narrow:
        cell_margins(grid, CELL_MARGIN)
    grid._tbl.tblPr.find(qn("w:tblW")).set(qn("w:type"), "dxa")
    grid._tbl.tblPr.find(qn("w:tblW")).set(qn("w:w"), str(Emu(total).twips))
    for column, w in zip(grid.columns, widths, strict=True):
        column.width = w
    (header,) = grid.rows
    row_flags(header, "cantSplit", "tblHeader")
    for cell, text, align, w in zip(header.cells, headings, aligns, widths, strict=True):
        fill(cell, text, align=align, bold=True)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        rules(cell, "top", "bottom")
        cell.width = w
    # a little air between the text and the rules
    air(header.cells, before=2, after=2)
    _append_body(grid, rows, widths=widths, aligns=aligns, tabs=tabs, style=document.styles[TEXT_STYLE].style_id, listing=narrow)


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
            raise ValueError(f"{table.caption}: row {row.label!r} has {len(row.cells)} cells for {width} columns.")
    document.add_paragraph(f"{table.caption}  {table.title}", style=TITLE_STYLE)
    population = document.add_paragraph(table.population)
    population.paragraph_format.keep_with_next = True
    population.paragraph_format.space_after = Pt(4)

    widths = column_widths(table, text_width(document.sections[-1]))
    total = sum(widths)
    left, centre = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
    aligns = [left, *(left if is_text_column(table, i) else centre for i in range(width))]
    tabs = [None if t is None else Emu(t).twips for t in decimal_stops(table, widths)]
    groups = site_groups(table.rows) if table.listing else [table.rows]
    for number, rows in enumerate(groups):
        if number:  # each site of a listing starts a page, under its own copy of the header row
            document.add_paragraph().paragraph_format.page_break_before = True
        _grid(document, table.headings, rows, widths=widths, aligns=aligns, tabs=tabs, total=total, narrow=table.listing)

    notes = [document.add_paragraph(note, style=NOTE_STYLE) for note in table.footnotes]
    stamp = document.add_paragraph(style=NOTE_STYLE)
    small(stamp.add_run(info.stamp), 7.5, GREY)
    [*notes, stamp][0].paragraph_format.space_before = Pt(4)
    if notes:
        stamp.paragraph_format.space_before = Pt(2)


# ---- the two documents -------------------------------------------------------------------------


def _document(info: PackInfo, population: str = "", source: str = "") -> DocxDocument:
    """A new document whose first section has its page set and the pack's header and footer."""
    document = new_document()
    set_page(document.sections[0])
    set_header_footer(document.sections[0], info, population, source)
    return document


def _saved(document: DocxDocument, path) -> Path:
    path = Path(path)
    document.save(path)
    return path


def table_docx(table: Table, info: PackInfo, path: Path) -> Path:
    """Write one table as its own Word document.

    Parameters
    ----------
    table : Table
        The table to draw, on landscape pages.
    info : PackInfo
        The study, data cut and lock state for the stamp, header and footer.
    path : Path
        Where to write the ``.docx``.

    Returns
    -------
    Path
        ``path``, written.
    """
    document = _document(info, table.population, table.source)
    add_table(document, table, info)
    return _saved(document, path)


def add_figure(document: DocxDocument, spec, image: bytes | None, info: PackInfo, problem: str | None) -> None:
    """Append one figure: its number and title (a contents entry, as a table's), population, the
    image as large as the page allows, its footnotes and the stamp; a sentence where it has no image."""
    document.add_paragraph(f"{spec.caption}  {spec.title}", style=TITLE_STYLE)
    population = document.add_paragraph(spec.population)
    population.paragraph_format.keep_with_next = True
    population.paragraph_format.space_after = Pt(6)
    section = document.sections[-1]
    if image is None:
        document.add_paragraph(f"{problem or 'The figure could not be drawn.'} See {spec.name}.html in the pack.")
    else:
        from PIL import Image

        with Image.open(io.BytesIO(image)) as picture:
            aspect = picture.height / picture.width
        room = section.page_height - section.top_margin - section.bottom_margin - FIGURE_TEXT_ROOM
        width = min(text_width(section), int(room / aspect))
        holder = document.add_paragraph()
        holder.alignment = WD_ALIGN_PARAGRAPH.CENTER
        holder.paragraph_format.keep_with_next = True
        holder.add_run().add_picture(io.BytesIO(image), width=Emu(width))
    notes = [document.add_paragraph(note, style=NOTE_STYLE) for note in spec.footnotes]
    stamp = document.add_paragraph(style=NOTE_STYLE)
    small(stamp.add_run(info.stamp), 7.5, GREY)
    [*notes, stamp][0].paragraph_format.space_before = Pt(4)


UPDATE_NOTE = "Page numbers appear when fields are updated"  # under the contents; the PDF has its numbers instead


def _title_page(document: DocxDocument, tables: list[Table], info: PackInfo, figures=()) -> None:
    """The title page, then the contents: a Word TOC field whose shown result lists every table."""
    lines = [
        (info.study_title, 20, True, 60),
        (info.study_id, 14, False, 6),
        ("End-of-study tables", 16, True, 36),
        (f"Data cut: {info.data_cut}", 11, False, 4),
        (f"Data version: {info.data_version}", 11, False, 4),
        (info.status, 11, info.draft, 4),
        (f"Generated at: {info.generated_at}", 11, False, 4),
        (f"Tables: {sum(not t.listing for t in tables)} · figures: {len(figures)} · listings: {sum(t.listing for t in tables)}",
         11, False, 4),
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
    listed = [(item.caption, item.title) for item in _in_order(tables, figures)]
    entries = [document.add_paragraph() for _ in listed] or [document.add_paragraph()]
    field_begin(entries[0], f'TOC \\h \\z \\t "{TITLE_STYLE},1"')
    for paragraph, (caption, title) in zip(entries, listed, strict=False):
        paragraph.paragraph_format.space_after = Pt(3)
        paragraph.paragraph_format.left_indent = Cm(3.4)  # "Figure 14.2.2.1" fits before the title
        paragraph.paragraph_format.first_line_indent = Cm(-3.4)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(3.4))
        paragraph.add_run(f"{caption}\t{title}")
    field_char(entries[-1], "end")
    note = document.add_paragraph(style=NOTE_STYLE)
    note.paragraph_format.space_before = Pt(12)
    small(note.add_run(f"{UPDATE_NOTE} (F9 in Word)."), 8, GREY)


def _in_order(tables: list[Table], figures) -> list:
    """Tables and figures as the document holds them: each figure right after the table it illustrates."""
    items: list = []
    for table in tables:
        items.append(table)
        items += [spec for spec, _ in figures if spec.table == table.id]
    placed = {id(item) for item in items}
    return items + [spec for spec, _ in figures if id(spec) not in placed]


def pack_docx(tables: list[Table], info: PackInfo, path: Path, figures=(), figure_problem: str | None = None) -> Path:
    """Write the combined document: title page, contents, then every table and figure in its own section.

    Parameters
    ----------
    tables : list of Table
        The tables in pack order; each starts on a new page.
    figures : sequence of (FigureSpec, bytes or None)
        The figures and their bare PNGs (None when not drawn, with ``figure_problem`` saying why);
        each follows the table it illustrates.
    info : PackInfo
        The study, data cut, data version, lock state and generation time.
    path : Path
        Where to write the ``.docx``.

    Returns
    -------
    Path
        ``path``, written.
    """
    document = _document(info)  # each later section has its own header and footer
    document.sections[0].different_first_page_header_footer = True  # a bare title page
    _title_page(document, tables, info, figures)
    images = {id(spec): image for spec, image in figures}
    for item in _in_order(tables, figures):
        section = document.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False
        set_page(section)
        set_header_footer(section, info, item.population, item.source if isinstance(item, Table) else FIGURE_SOURCE)
        if isinstance(item, Table):
            add_table(document, item, info)
        else:
            add_figure(document, item, images[id(item)], info, figure_problem)
    return _saved(document, path)
