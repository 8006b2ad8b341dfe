"""RTF rendering of the pack: each table and listing as its own Rich Text document, laid out as the
Word one (same columns, widths, decimal alignment, rules, header and footer, landscape A4).

Written by hand rather than with rtflite: rtflite has no decimal alignment (its ``d`` justification
is "distributed") and brings polars; the RTF a table needs is a few control words (RTF 1.9.1
specification: ``\\trowd``/``\\cellx`` rows, ``\\trhdr`` repeated header rows, ``\\tqr``/``\\tx``
tab stops, ``\\field`` page numbers), all below.
"""

from __future__ import annotations

from pathlib import Path

from docx.shared import Cm, Emu

from trial.reports.align import is_text_column
from trial.reports.align import split as align_split
from trial.reports.columns import CELL_MARGIN, INDENT, TABLE_CELL_MARGIN, column_widths, decimal_stops, site_groups
from trial.reports.model import PackInfo, Row, Table, keeps_with_next

PAGE_W, PAGE_H, MARGIN = Cm(29.7), Cm(21.0), Cm(2.0)  # A4 landscape, as the Word pack
RULE = r"\brdrs\brdrw15"  # a 0.75 pt rule
AIR = 40  # twips of air above the first and below the last row (2 pt)


def _tw(emu: int) -> int:
    return Emu(emu).twips


def escape(text: str) -> str:
    """Text as RTF: the three special characters escaped, tabs and line breaks as control words, and
    anything beyond ASCII as ``\\uN?`` (a signed 16-bit code, two for a character beyond the BMP)."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\t":
            out.append(r"\tab ")
        elif ch in "\r\n":
            out.append(r"\line ")
        elif ord(ch) < 128:
            out.append(ch)
        else:
            data = ch.encode("utf-16-le")
            for i in range(0, len(data), 2):
                code = int.from_bytes(data[i : i + 2], "little", signed=True)
                out.append(f"\\u{code}?")
    return "".join(out)


def _page_furniture(info: PackInfo, table: Table) -> str:
    """The header and footer, as the Word pack's (``docx_parts.set_header_footer``): the study on a
    line of its own; the population, then a right tab to the right margin for the status and the data
    cut; the program, and at the right margin the page number."""
    line = rf"\pard\ql\tqr\tx{_tw(PAGE_W - 2 * MARGIN)}\fs16\cf2 "
    status = rf"\b {escape(info.status)}\b0" if info.draft else escape(info.status)
    header = (rf"{{\header{line}{escape(info.heading)}\par"
              rf"{line}{escape(table.population)}\tab {status}{escape(' · ' + info.cut_line)}\par}}")
    page = r"{\field{\*\fldinst PAGE}{\fldrslt 1}}"
    pages = r"{\field{\*\fldinst NUMPAGES}{\fldrslt 1}}"
    footer = rf"{{\footer{line}{escape(info.run_line(table.source))}\tab Page {page} of {pages}\par}}"
    return header + footer


def _cell(text: str, *, align: str, bold: bool, indent: int, stop: int | None) -> str:
    parts = align_split(text) if stop is not None else None
    tabs = ""
    if parts:
        whole, rest = parts
        tabs, align = rf"\tqr\tx{stop}\tx{stop + 1}", "ql"
        body = r"\tab " + escape(whole) + ((r"\tab " + escape(rest)) if rest else "")
    else:
        align = "qc" if stop is not None else align
        body = escape(text)
    ind = rf"\li{_tw(INDENT) * indent}" if indent else ""
    weight = r"\b " if bold else ""
    return rf"\pard\intbl\{align}{ind}{tabs}\fs18 {weight}{body}\b0\cell "


def _row(cells: list[str], *, widths: list[int], margin: int, header: bool, top: bool, bottom: bool, keep: bool) -> str:
    """``\\trowd`` … ``\\row``: the row's definition (rules, cell edges), then its cells."""
    flags = r"\trhdr" if header else ""
    flags += r"\trkeepfollow" if keep else ""
    definition = [rf"\trowd\trgaph{margin}\trleft0\trqc{flags}\trkeep\trpaddt{AIR if top else 0}\trpaddft3"
                  rf"\trpaddb{AIR if bottom else 0}\trpaddfb3"]
    edge = 0
    for width in widths:
        edge += width
        borders = (rf"\clbrdrt{RULE}" if header else "") + (rf"\clbrdrb{RULE}" if header or bottom else "")
        definition.append(rf"\clvertalb{borders}\cellx{edge}")
    return "".join(definition) + "".join(cells) + r"\row" + "\n"


def _table_rows(table: Table, rows: tuple[Row, ...], widths: list[int], stops: list[int | None], aligns: list[str]) -> str:
    margin = _tw(CELL_MARGIN if table.listing else TABLE_CELL_MARGIN)
    header_cells = [_cell(text, align=a, bold=True, indent=0, stop=None) for text, a in zip(table.headings, aligns, strict=True)]
    out = [_row(header_cells, widths=widths, margin=margin, header=True, top=False, bottom=False, keep=False)]
    last = len(rows) - 1
    keeps = keeps_with_next(rows, listing=table.listing)
    for i, row in enumerate(rows):
        cells = [_cell(row.label, align="ql", bold=row.heading, indent=row.indent, stop=None)]
        cells += [_cell(text, align=a, bold=row.heading, indent=0, stop=s)
                  for text, a, s in zip(row.cells, aligns[1:], stops, strict=True)]
        out.append(_row(cells, widths=widths, margin=margin, header=False, top=i == 0, bottom=i == last, keep=keeps[i]))
    return "".join(out)


def table_rtf(table: Table, info: PackInfo, path: Path) -> Path:
    """Write one table or listing as an RTF document: its number and title, population, the table
    (header row repeated on every page; each site of a listing on a new page), footnotes and stamp.

    Raises
    ------
    ValueError
        When a row has a different number of cells than the table has columns.
    """
    for row in table.rows:
        if len(row.cells) != len(table.columns):
            raise ValueError(f"{table.caption}: row {row.label!r} has {len(row.cells)} cells for {len(table.columns)} columns.")
    widths_emu = column_widths(table, PAGE_W - 2 * MARGIN)
    widths = [_tw(w) for w in widths_emu]
    stops = [None if s is None else _tw(s) for s in decimal_stops(table, widths_emu)]
    margin = _tw(MARGIN)
    parts = [
        r"{\rtf1\ansi\ansicpg1252\deff0\uc1",
        r"{\fonttbl{\f0\fswiss\fcharset0 Calibri;}}",
        r"{\colortbl;\red0\green0\blue0;\red89\green89\blue89;}",
        rf"\paperw{_tw(PAGE_W)}\paperh{_tw(PAGE_H)}\landscape\margl{margin}\margr{margin}\margt{margin}\margb{margin}"
        rf"\headery{_tw(Cm(1.0))}\footery{_tw(Cm(1.0))}\sectd\lndscpsxn\pgwsxn{_tw(PAGE_W)}\pghsxn{_tw(PAGE_H)}",
        _page_furniture(info, table),
        rf"\pard\keepn\sa40\b\fs22 {escape(f'{table.caption}  {table.title}')}\b0\par" "\n",
        rf"\pard\keepn\sa80\fs20 {escape(table.population)}\par" "\n",
    ]
    groups = site_groups(table.rows) if table.listing else [table.rows]
    aligns = ["ql", *("ql" if is_text_column(table, i) else "qc" for i in range(len(table.columns)))]  # once: it reads every row
    for number, rows in enumerate(groups):
        if number:
            parts.append(r"\pard\page\par" "\n")
        parts.append(_table_rows(table, rows, widths, stops, aligns))
    for index, note in enumerate(table.footnotes):
        space = r"\sb80" if index == 0 else ""
        parts.append(rf"\pard{space}\sa20\fs16 {escape(note)}\par" "\n")
    parts.append(rf"\pard\sb{40 if table.footnotes else 80}\fs15\cf2 {escape(info.stamp)}\cf0\par" "\n}")
    path = Path(path)
    path.write_text("".join(parts), encoding="ascii")
    return path
