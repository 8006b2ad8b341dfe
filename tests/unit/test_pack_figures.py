"""The pack's figures as numbered outputs: the framed PNG carries its texts, and the combined Word
document places each figure after its table under its number, title, population and footnotes."""

import io

from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from PIL import Image
from test_render_docx import BY_VISIT, DEMOGRAPHICS, INFO, OVERVIEW, _body

from trial.reports.pack_figures import SPECS, FigureSpec, framed_png
from trial.reports.render_docx import pack_docx

FIGURE = FigureSpec("14.2.2.1", "mean-change", "Change from baseline by visit", "Intent-to-treat population",
                    ("Error bars: 95 % confidence interval.",))


def _png(width=1000, height=560, colour=(200, 220, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def _dark_rows(image: Image.Image, top: int, bottom: int) -> int:
    """How many pixel rows between ``top`` and ``bottom`` hold text (a dark pixel)."""
    grey = image.convert("L")
    return sum(grey.crop((0, y, grey.width, y + 1)).getextrema()[0] < 128 for y in range(top, bottom))


def test_a_framed_png_has_its_title_above_and_its_footnotes_below_the_figure():
    bare = Image.open(io.BytesIO(_png()))
    framed = Image.open(io.BytesIO(framed_png(_png(), FIGURE, INFO)))
    assert framed.width == bare.width and framed.height > bare.height + 100
    # find the figure (the blue block) and look for text above and below it
    column = [framed.getpixel((framed.width // 2, y)) for y in range(framed.height)]
    inside = [y for y, p in enumerate(column) if p == (200, 220, 240)]
    top, bottom = inside[0], inside[-1]
    assert bottom - top + 1 == bare.height
    assert _dark_rows(framed, 0, top) > 30  # number and title, population: three lines of type
    assert _dark_rows(framed, bottom + 1, framed.height) > 15  # footnote and stamp


def test_the_specs_are_numbered_after_their_tables_and_name_their_population():
    assert [s.id for s in SPECS] == sorted((s.id for s in SPECS), key=lambda i: [int(p) for p in i.split(".")])
    assert all(s.caption == f"Figure {s.id}" and s.population and s.footnotes for s in SPECS)
    assert len({s.name for s in SPECS}) == len(SPECS)


def test_the_combined_document_places_each_figure_after_its_table(tmp_path):
    late = FigureSpec("14.3.1.1", "overview", "Overview figure", "Safety population", ("A note.",))
    path = pack_docx([DEMOGRAPHICS, BY_VISIT, OVERVIEW], INFO, tmp_path / "pack.docx", [(FIGURE, _png()), (late, None)],
                     "The PNG figures need Chromium.")
    document, body = _body(path)
    titles = [p.text for p in document.paragraphs if p.style.name == "Table Title"]
    assert titles == ["Table 14.1.2  Demographics and baseline characteristics", "Table 14.2.2  Hair count by visit, region and arm",
                      "Figure 14.2.2.1  Change from baseline by visit", "Table 14.3.1  Overview of treatment-emergent adverse events",
                      "Figure 14.3.1.1  Overview figure"]
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    section = document.sections[3]  # title page, 14.1.2, 14.2.2, then the figure
    assert shape.width <= section.page_width - section.left_margin - section.right_margin
    assert shape.height <= section.page_height - section.top_margin - section.bottom_margin
    at = next(i for i, item in enumerate(body) if isinstance(item, Paragraph) and item.text.startswith("Figure 14.2.2.1  "))
    after = [item.text for item in body[at + 1 : at + 5] if isinstance(item, Paragraph)]
    assert after[0] == FIGURE.population and FIGURE.footnotes[0] in after and INFO.stamp in after
    assert not any(isinstance(item, DocxTable) for item in body[at : at + 4])
    missing = next(i for i, item in enumerate(body) if isinstance(item, Paragraph) and item.text.startswith("Figure 14.3.1.1  "))
    assert "need Chromium" in body[missing + 2].text and "figure-overview.html" in body[missing + 2].text
    contents = [p.text for p in document.paragraphs[:40] if p.text.startswith(("Table ", "Figure "))]
    assert "Figure 14.2.2.1\tChange from baseline by visit" in contents
    assert any("figures: 2" in p.text for p in document.paragraphs[:12])
