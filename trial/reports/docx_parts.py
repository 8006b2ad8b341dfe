"""The parts of a Word document in the clinical-report style: the document with its styles, the
page and its header and footer, field codes (page numbers, contents), and the rules, borders,
margins and fills of a table's cells (python-docx where it has an API, OOXML where it has none)."""

from __future__ import annotations

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from trial.reports.columns import INDENT
from trial.reports.model import PackInfo

FONT = "Calibri"
PAGE = (Cm(21.0), Cm(29.7))  # A4, portrait
MARGIN = Cm(2.0)

RULE = 6  # rule thickness in eighths of a point (0.75 pt)
GREY = RGBColor(0x59, 0x59, 0x59)
TITLE_STYLE = "Table Title"  # the table of contents collects the paragraphs of this style
TEXT_STYLE = "Table Text"
NOTE_STYLE = "Table Note"


# ---- document, styles and sections -----------------------------------------------------------


def new_document() -> DocxDocument:
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
        # the template's portrait stops (centre 3.25", right 6.5") would catch each line's tab before
        # the right edge of a landscape page: "Page X of Y" sat mid-page
        styles[name].paragraph_format.tab_stops.clear_all()
    title = styles[TITLE_STYLE]
    title.paragraph_format.keep_with_next = True
    outline = OxmlElement("w:outlineLvl")  # a level-1 entry in the navigation pane and PDF bookmarks
    outline.set(qn("w:val"), "0")
    title.element.get_or_add_pPr().insert_element_before(outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
    return document


def set_page(section) -> None:
    """A4 landscape with 2 cm margins: every page of the pack, so no reader turns the page."""
    width, height = PAGE
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = height, width
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.0)


def text_width(section) -> int:
    return section.page_width - section.left_margin - section.right_margin


def set_header_footer(section, info: PackInfo, population: str = "", source: str = "") -> None:
    """The section's own header and footer. Header: sponsor, study id and title on a line of their
    own (a long title may wrap, and runs into nothing); under it the population, and on the right
    whether the numbers are a draft (until database lock) or final, and the data cut. Footer: the
    program, software and run time, and on the right ``Page X of Y``."""
    right = text_width(section)
    section.header.is_linked_to_previous = section.footer.is_linked_to_previous = False

    def line(paragraph, left: str):
        paragraph.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT)
        paragraph.add_run(left + "\t")
        return paragraph

    section.header.paragraphs[0].add_run(info.heading)
    second = line(section.header.add_paragraph(), population)
    second.add_run(info.status).bold = info.draft
    second.add_run(f" · {info.cut_line}")
    footer = line(section.footer.paragraphs[0], info.run_line(source))
    for text, field in (("Page ", "PAGE"), (" of ", "NUMPAGES")):
        footer.add_run(text)
        add_field(footer, field, "1")


# ---- field codes, runs, cells and borders ------------------------------------------------------


def field_char(paragraph, kind: str) -> None:
    run = paragraph.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    run._r.append(char)


def field_begin(paragraph, instruction: str) -> None:
    """Open a field: what follows, up to ``field_char(p, "end")``, is its last computed result."""
    field_char(paragraph, "begin")
    run = paragraph.add_run()
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run._r.append(code)
    field_char(paragraph, "separate")


def add_field(paragraph, instruction: str, shown: str) -> None:
    """A field such as ``PAGE`` inside a paragraph, showing ``shown`` until Word updates it."""
    field_begin(paragraph, instruction)
    paragraph.add_run(shown)
    field_char(paragraph, "end")


def small(run, size: float, colour: RGBColor) -> None:
    run.font.size, run.font.color.rgb = Pt(size), colour


def rules(cell, *edges: str) -> None:
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


def no_borders(table) -> None:
    """Remove every table border (the rules are drawn on cells)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "nil")
        borders.append(line)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")


def cell_margins(table, margin) -> None:
    """The left and right space inside every cell of the table."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        side = OxmlElement(f"w:{edge}")
        side.set(qn("w:w"), str(Emu(margin).twips))
        side.set(qn("w:type"), "dxa")
        margins.append(side)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def row_flags(row, *flags: str) -> None:
    """Set row properties such as ``cantSplit`` (keep on one page) and ``tblHeader`` (repeat)."""
    tr_pr = row._tr.get_or_add_trPr()
    for flag in flags:
        tr_pr.append(OxmlElement(f"w:{flag}"))


def fill(cell, text: str, *, align=WD_ALIGN_PARAGRAPH.LEFT, bold: bool = False, indent: int = 0) -> None:
    """Write one cell's text in the table style, aligned and indented."""
    paragraph = cell.paragraphs[0]
    paragraph.style = TEXT_STYLE
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.left_indent = INDENT * indent
    if text:
        paragraph.add_run(text).bold = bold or None


def air(cells, before: float | None = None, after: float | None = None) -> None:
    """Space (points) above and/or below the text of these cells, clear of the rules."""
    for cell in cells:
        spacing = cell.paragraphs[0].paragraph_format
        if before is not None:
            spacing.space_before = Pt(before)
        if after is not None:
            spacing.space_after = Pt(after)
