"""The combined document as PDF, through LibreOffice, with the contents' page numbers filled in.

The DOCX's contents is a Word TOC field showing the plain list of tables, figures and listings:
Word fills in the page numbers when its reader updates fields (F9), and LibreOffice, converting
without a window, never updates an index. So the PDF is made in two passes: LibreOffice lays the
document out once; each entry's page is read from that PDF (pypdf: the first page after the
contents that carries the entry's caption and title); a copy of the DOCX gets those numbers in its
contents, right-aligned on a dotted leader; LibreOffice converts the copy. Numbers take no extra
line, so the pages do not move; the numbers are read once more from the final PDF and the copy made
again if they did (at most three rounds). The pack's own DOCX is left as it was: Word lays pages out
a little differently and numbers them itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from pypdf import PdfReader

from trial.errors import TrialError
from trial.reports.render_docx import UPDATE_NOTE

ROUNDS = 3
_SPACE = re.compile(r"\s+")


def write_pdf(docx_path: Path) -> Path:
    """``docx_path`` as PDF beside it, its contents numbered by page; a sentence when LibreOffice
    (``soffice``) is missing or fails."""
    converter = shutil.which("soffice") or shutil.which("libreoffice")
    if converter is None:
        raise TrialError("No PDF converter found: install LibreOffice and the Carlito font "
                         "(Debian: libreoffice-writer-nogui fonts-crosextra-carlito) for --pdf.")
    target = docx_path.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="trial-pdf-") as folder:
        work = Path(folder)
        entries = contents_entries(docx_path)
        pdf = _convert(converter, docx_path, work, work / "laid-out")
        pages: list[int | None] = []
        for _ in range(ROUNDS):
            found = entry_pages(pdf, entries)
            if found == pages:
                break
            pages = found
            numbered = numbered_copy(docx_path, pages, work / "numbered.docx")
            pdf = _convert(converter, numbered, work, work / "numbered")
        shutil.move(str(pdf), target)
    return target


def _convert(converter: str, docx: Path, work: Path, out: Path) -> Path:
    """One LibreOffice conversion, in a profile of its own (a LibreOffice the user has open is not disturbed)."""
    profile = (work / "profile").as_uri()
    try:
        subprocess.run([converter, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out),
                        str(docx)], check=True, capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise TrialError(f"LibreOffice could not convert {docx.name} to PDF ({type(exc).__name__}).") from None
    pdf = out / f"{docx.stem}.pdf"
    if not pdf.is_file():
        raise TrialError(f"LibreOffice wrote no PDF for {docx.name}.")
    return pdf


def _toc_paragraphs(document) -> list:
    """The paragraphs of the contents field: from the one holding its TOC instruction to the one that ends it."""
    chosen, inside = [], False
    for paragraph in document.paragraphs:
        element = paragraph._p
        if not inside and any("TOC" in (t.text or "") for t in element.iter(qn("w:instrText"))):
            inside = True
        if inside:
            chosen.append(paragraph)
            if any(c.get(qn("w:fldCharType")) == "end" for c in element.iter(qn("w:fldChar"))):
                break
    return chosen


def contents_entries(docx_path: Path) -> list[str]:
    """Each contents entry as its text reads ("Table 14.1.1 Subject disposition"), in order."""
    return [_plain(p.text) for p in _toc_paragraphs(Document(str(docx_path)))]


def _plain(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def entry_pages(pdf: Path, entries: list[str]) -> list[int | None]:
    """The page (counted from 1) on which each entry's caption and title first appear after the
    contents; None for one not found. Entries come in document order, so each is looked for from
    the page of the one before."""
    texts = [_plain(page.extract_text() or "") for page in PdfReader(str(pdf)).pages]
    listed = [i for i, text in enumerate(texts) if entries and entries[-1] in text]  # the contents' last entry
    page = listed[0] + 1 if listed else 0
    found: list[int | None] = []
    for entry in entries:
        at = next((i for i in range(page, len(texts)) if entry in texts[i]), None)
        found.append(None if at is None else at + 1)
        if at is not None:
            page = at
    return found


def numbered_copy(docx_path: Path, pages: list[int | None], out: Path) -> Path:
    """A copy of the DOCX whose contents carry ``pages``, right-aligned on a dotted leader, and
    without the note that they appear when fields are updated."""
    document = Document(str(docx_path))
    section = document.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    for paragraph, page in zip(_toc_paragraphs(document), pages, strict=False):
        if page is None:
            continue
        paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        run = paragraph.add_run(f"\t{page}")
        ends = [c for c in paragraph._p.iter(qn("w:fldChar")) if c.get(qn("w:fldCharType")) == "end"]
        if ends:  # the last entry: its number inside the field's result, before the field ends
            ends[0].getparent().addprevious(run._r)
    for paragraph in document.paragraphs:
        if paragraph.text.startswith(UPDATE_NOTE):
            paragraph._p.getparent().remove(paragraph._p)
    document.save(str(out))
    return out
