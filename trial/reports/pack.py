"""The end-of-study pack: every table as CSV, HTML, DOCX and RTF, one combined DOCX, the ARD, and
an index page, written into one folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from pathlib import Path

from trial import __version__
from trial.analysis.ard import ard_for
from trial.analysis.datasets import analysis_dataset, data_cut
from trial.csv_safe import write_csv
from trial.governance.lock import lock_state
from trial.reports import layouts_baseline, layouts_efficacy, layouts_safety
from trial.reports.listings import LISTINGS
from trial.reports.model import PackInfo, Table
from trial.reports.pack_figures import FigureRender, pack_figures, write_figure_files
from trial.reports.render_docx import pack_docx, table_docx
from trial.reports.render_rtf import table_rtf
from trial.reports.render_text import listing_html, table_csv, table_html

LAYOUTS = (*layouts_baseline.LAYOUTS, *layouts_efficacy.LAYOUTS, *layouts_safety.LAYOUTS)
# The Word table's body rows are written as XML in bulk (see ``render_docx``): 10,000 rows of 14
# columns take about 2 s. Past this many rows a listing is written as CSV and HTML only (and said so
# in the index): Word itself grows slow to open and page such a document.
MOST_LISTING_ROWS_IN_WORD = 2000  # ~0.4 s a listing in Word; larger ones (and the combined DOCX twice) would break the 10 s pack


def _sourced(table: Table, program) -> Table:
    """The table with the program that laid it out, for its footer."""
    return dataclasses.replace(table, source=f"{program.__module__}.{program.__name__}")


def build_tables(ard, study) -> list[Table]:
    return [_sourced(layout(ard, study), layout) for layout in LAYOUTS]


def build_listings(store) -> list[Table]:
    return [_sourced(make(store), make) for make in LISTINGS]


def pack_info(store, tables: list[Table]) -> PackInfo:
    cut = data_cut(store)
    lock = lock_state(store)
    return PackInfo(
        study_id=store.study.study.id,
        study_title=store.study.study.title,
        data_cut=cut.isoformat() if cut else "no data loaded",
        data_version=store.data_version(),
        lock_state=lock.label,
        locked_at=lock.at.strftime("%Y-%m-%d %H:%M UTC") if lock.locked and lock.at else None,
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        sponsor=store.study.study.sponsor,
        program=f"trial {__version__}",
        tables=tuple(t.id for t in tables),
    )


def write_pack(store, out: Path) -> list[Path]:
    """Write the whole pack into ``out``; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ard = ard_for(store, sensitivity=True)
    figures = pack_figures(ard, analysis_dataset(store, "adhc"), store.study)  # only ADHC: the ARD has the rest
    render = FigureRender(figures, out)  # drawn by Chromium while the tables are written
    tables = build_tables(ard, store.study)
    info = pack_info(store, tables)
    written = []
    for table in tables:
        stem = f"table-{table.id}"
        written += [
            table_csv(table, info, out / f"{stem}.csv"),
            table_html(table, info, out / f"{stem}.html"),
            table_docx(table, info, out / f"{stem}.docx"),
            table_rtf(table, info, out / f"{stem}.rtf"),
        ]
    listings = build_listings(store)
    in_word = [t for t in listings if len(t.rows) <= MOST_LISTING_ROWS_IN_WORD]
    for listing in listings:
        stem = f"listing-{listing.id}"
        written += [table_csv(listing, info, out / f"{stem}.csv"), listing_html(listing, info, out / f"{stem}.html"),
                    table_rtf(listing, info, out / f"{stem}.rtf")]
        if listing in in_word:
            written.append(table_docx(listing, info, out / f"{stem}.docx"))
    images, figure_problem = render.result()
    written += write_figure_files(figures, images, info, out)
    written.append(pack_docx([*tables, *in_word], info, out / "end-of-study-tables.docx",
                             [(spec, images.get(spec.name)) for spec, _ in figures], figure_problem))
    write_csv(ard, out / "ard.csv")
    ard.to_parquet(out / "ard.parquet", index=False)
    index = _index(tables, listings, in_word, [spec for spec, _ in figures], figure_problem, info, out / "index.html")
    written += [out / "ard.csv", out / "ard.parquet", index]
    return written


def _index(tables, listings, in_word, figures, figure_problem: str | None, info: PackInfo, path: Path) -> Path:
    items = "".join(
        f"<tr><td>{html.escape(t.id)}</td><td><a href='table-{t.id}.html'>{html.escape(t.title)}</a></td>"
        f"<td><a href='table-{t.id}.docx'>DOCX</a> · <a href='table-{t.id}.rtf'>RTF</a> · <a href='table-{t.id}.csv'>CSV</a></td></tr>"
        for t in tables
    )
    for t in listings:
        word = (f"<a href='listing-{t.id}.docx'>DOCX</a> · " if t in in_word
                else f"too long for Word ({len(t.rows):,} rows) · ")
        items += (f"<tr><td>{html.escape(t.id)}</td><td><a href='listing-{t.id}.html'>{html.escape(t.title)}</a></td>"
                  f"<td>{word}<a href='listing-{t.id}.rtf'>RTF</a> · <a href='listing-{t.id}.csv'>CSV</a></td></tr>")
    for spec in figures:
        png = "" if figure_problem else f" · <a href='{spec.name}.png'>PNG</a>"
        items += (f"<tr><td>{html.escape(spec.caption)}</td><td><a href='{spec.name}.html'>{html.escape(spec.title)}</a></td>"
                  f"<td>interactive{png}</td></tr>")
    if figure_problem:
        items += f"<tr><td></td><td colspan='2'>{html.escape(figure_problem)}</td></tr>"
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>End-of-study tables</title>"
        "<style>body{font-family:system-ui,Arial,sans-serif;margin:2rem}td{padding:.3rem .8rem}</style></head><body>"
        f"<h1>{html.escape(info.study_title)}</h1><p>{html.escape(info.stamp)} · generated {html.escape(info.generated_at)}</p>"
        f"<p><a href='end-of-study-tables.docx'>All tables (DOCX)</a> · <a href='ard.csv'>Analysis results dataset (CSV)</a></p>"
        f"<table>{items}</table></body></html>",
        encoding="utf-8",
    )
    return path
