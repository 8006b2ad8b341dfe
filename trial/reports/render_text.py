"""Tables as CSV (one row per table row: label, then one column per heading) and as HTML with
great_tables."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
from great_tables import GT, loc, style

from trial.csv_safe import write_csv
from trial.reports.align import aligned_columns, column_extent, split
from trial.reports.model import PackInfo, Table

# A decimal-aligned cell: two inline blocks of fixed widths in ``ch`` (the width of a digit, every
# digit alike with tabular figures), the whole part right-aligned in the first, centred together.
ALIGN_CSS = (".dec{display:inline-block;text-align:left;white-space:pre;font-variant-numeric:tabular-nums}"
             ".dec .whole{display:inline-block;text-align:right}")


def table_frame(table: Table) -> pd.DataFrame:
    """The table as a DataFrame: the stub column (labels, indented) and one column per heading."""
    labels = [("    " * row.indent) + row.label for row in table.rows]
    data = {table.stub: labels}
    for i, column in enumerate(table.columns):
        data[column.heading] = [row.cells[i] if i < len(row.cells) else "" for row in table.rows]
    return pd.DataFrame(data)


def table_csv(table: Table, info: PackInfo, path: Path) -> Path:
    write_csv(table_frame(table), path)
    return path


def table_html(table: Table, info: PackInfo, path: Path) -> Path:
    """A standalone HTML page with the table drawn by great_tables (no external assets)."""
    frame = table_frame(table)
    stub = table.stub
    gt = (
        GT(frame)
        .tab_header(title=f"{table.caption}  {table.title}", subtitle=table.population)
        .cols_align(align="left", columns=stub)
        .cols_align(align="center", columns=[c for c in frame.columns if c != stub])
        .tab_options(table_font_size="13px", heading_title_font_size="16px", heading_align="left", table_width="100%")
    )
    headings = [i for i, row in enumerate(table.rows) if row.heading]
    if headings:
        gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(columns=stub, rows=headings))
    indented = [i for i, row in enumerate(table.rows) if row.indent]
    for level in sorted({table.rows[i].indent for i in indented}):
        rows = [i for i in indented if table.rows[i].indent == level]
        gt = gt.tab_style(style=style.css(f"padding-left: {0.4 + 1.2 * level}em;"), locations=loc.body(columns=stub, rows=rows))
    for heading, aligned in zip(frame.columns[1:], aligned_columns(table), strict=True):
        if aligned:
            gt = gt.fmt(fns=_aligner(frame[heading]), columns=heading)
    for note in (*table.footnotes, info.stamp, info.run_line(table.source)):
        gt = gt.tab_source_note(note)
    body = gt.as_raw_html()
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(table.caption)}</title>"
        f"<style>body{{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:2rem;max-width:1100px}}{ALIGN_CSS}</style>"
        f"</head><body>{body}</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def _aligner(cells: pd.Series):
    """The formatter of one statistic column: each cell as its whole part and rest (see ``align``),
    in blocks as wide as the column's widest, escaped here (great_tables inserts a formatter's HTML as is)."""
    whole, rest = column_extent(cells, len)

    def cell(text: str) -> str:
        parts = split(text)
        if parts is None:
            return html.escape(text)
        return (f"<span class='dec' style='width:{whole + rest}ch'><span class='whole' style='width:{whole}ch'>"
                f"{html.escape(parts[0])}</span>{html.escape(parts[1])}</span>")

    return cell


def listing_html(table: Table, info: PackInfo, path: Path) -> Path:
    """A long listing as a plain HTML page (great_tables styles each row and is slow on thousands)."""
    frame = table_frame(table)
    frame[table.stub] = frame[table.stub].str.strip()
    body = frame.to_html(index=False, escape=True, border=0, classes="listing")
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in (*table.footnotes, info.stamp, info.run_line(table.source)))
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Listing {html.escape(table.id)}</title><style>"
        "body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:2rem;font-size:13px}"
        "table.listing{border-collapse:collapse;width:100%}"
        "table.listing th{text-align:left;border-top:2px solid #444;border-bottom:1px solid #444;padding:4px 8px}"
        "table.listing td{padding:3px 8px;border-bottom:1px solid #eee;vertical-align:top}"
        ".note{color:#555;font-size:12px;margin:.3rem 0}"
        f"</style></head><body><h2>Listing {html.escape(table.id)}  {html.escape(table.title)}</h2>"
        f"<p>{html.escape(table.population)}</p>{body}{notes}</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
