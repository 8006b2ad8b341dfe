"""The end-of-study pack as one zip, for the Reports page: built once per data version.

``build_pack_archive(store)`` writes the pack (:func:`trial.reports.pack.write_pack`) into a
temporary folder and returns the zip's bytes, a listing of its files (what each table, listing and
figure is, in which formats) and the ``PackInfo`` the pack carries. At 10,000 subjects this takes
several seconds, so the latest archive of each database is kept here, like the ARD (``ard_for``):
:func:`built_archive` says, without building, whether the current data version's pack exists.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trial.analysis.ard import ard_for
from trial.reports.listings import LISTINGS
from trial.reports.model import PackInfo
from trial.reports.pack import build_tables, pack_info, write_pack
from trial.reports.pack_figures import TITLES as FIGURE_TITLES

_ITEM = re.compile(r"^(table|listing|figure)-(.+)\.(\w+)$")
FILE_COLUMNS = ["name", "kind", "item", "format", "size"]


@dataclass(frozen=True)
class PackArchive:
    """The zipped pack of one data version."""

    zip_bytes: bytes
    folder: str  # the zip's top folder, e.g. ``MN-DEMO-tables-v10``
    files: pd.DataFrame  # FILE_COLUMNS: every file in the zip (name without the folder)
    items: pd.DataFrame  # one row per table, listing and figure: kind, id, title, and its file per format
    info: PackInfo
    seconds: float  # how long the pack took to write

    def member(self, name: str) -> bytes:
        """The bytes of one file of the pack (``name`` as in :attr:`files`)."""
        with zipfile.ZipFile(io.BytesIO(self.zip_bytes)) as archive:
            return archive.read(f"{self.folder}/{name}")


def _titles(store) -> dict[tuple[str, str], str]:
    """(kind, id) → title for the pack's tables and listings."""
    titles = {("table", t.id): t.title for t in build_tables(ard_for(store), store.study)}
    titles |= {("figure", name): title for name, title in FIGURE_TITLES.items()}  # figure-<stem>
    for make in LISTINGS:  # the listing's title is fixed; its rows are not needed here
        listing = make(store)
        titles[("listing", listing.id)] = listing.title
    return titles


def _describe(names: list[str], titles: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    files = []
    for name in names:
        match = _ITEM.match(name)
        if match:
            kind, item, fmt = match.groups()
        else:
            kind = {"end-of-study-tables.docx": "document", "index.html": "index"}.get(name) or (
                "data" if name.startswith("ard.") else "asset")
            item, fmt = "", name.rsplit(".", 1)[-1]
        files.append((name, kind, item, fmt))
    frame = pd.DataFrame(files, columns=FILE_COLUMNS[:-1])
    items = []
    for (kind, item), mine in frame[frame.item != ""].groupby(["kind", "item"], sort=False):
        title = titles.get((kind, item)) or item.replace("-", " ").capitalize()
        items.append({"kind": kind, "id": item, "title": title, **{f: n for f, n in zip(mine.format, mine.name, strict=True)}})
    order = {"table": 0, "listing": 1, "figure": 2}
    items = pd.DataFrame(items)
    items = items.sort_values(["kind", "id"], key=lambda c: c.map(order) if c.name == "kind" else c, kind="stable")
    return frame, items.reset_index(drop=True)


def build_pack_archive(store) -> PackArchive:
    """Write the pack of the store's current data and zip it; kept per database and data version."""
    key = store.cache_key
    version = store.data_version()
    with _lock(key):
        kept = _kept.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        info_folder = f"{store.study.study.id}-tables-v{version}"
        with tempfile.TemporaryDirectory(prefix="trial-pack-") as tmp:
            out = Path(tmp) / info_folder
            started = time.perf_counter()
            write_pack(store, out)
            seconds = time.perf_counter() - started
            names = sorted(p.name for p in out.iterdir() if p.is_file())
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                for name in names:
                    archive.write(out / name, f"{info_folder}/{name}")
            sizes = {name: (out / name).stat().st_size for name in names}
        titles = _titles(store)
        files, items = _describe(names, titles)
        files["size"] = files.name.map(sizes)
        tables = build_tables(ard_for(store, sensitivity=True), store.study)
        archive = PackArchive(buffer.getvalue(), info_folder, files, items, pack_info(store, tables), seconds)
        _kept[key] = (version, archive)
        return archive


def built_archive(store) -> PackArchive | None:
    """The pack of the store's current data version if it has been built (never builds it)."""
    kept = _kept.get(store.cache_key)
    return kept[1] if kept is not None and kept[0] == store.data_version() else None


def current_info(store) -> PackInfo:
    """The data cut, data version and lock state a pack built now would carry (cheap: no tables)."""
    return pack_info(store, [])


def forget() -> None:
    """Drop every kept archive (the next request builds afresh)."""
    _kept.clear()


_kept: dict[str, tuple[int, PackArchive]] = {}  # database path → (data version, archive): the latest only
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def _lock(key: str) -> threading.Lock:
    """One build at a time per database: a second person pressing Build waits for the first build."""
    with _locks_lock:
        return _locks.setdefault(key, threading.Lock())
