"""The zipped pack of the Reports page, on a real scenario: every table of the pack in three formats
under one folder, the listing of its files and items, built once per data version and forgotten
when the data change."""

from __future__ import annotations

import io
import zipfile

import pytest
from helpers import HAIR_COUNTS_HEADER, csv_bytes, load, scenario_store

from trial.analysis.ard import ard_for
from trial.reports import archive_zip
from trial.reports.listings import LISTINGS
from trial.reports.pack import LAYOUTS, build_tables
from trial.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kumar2018")
    scenario_store(folder, "kumar2018", seed=2).close()
    opened = Store.open(folder / "study.duckdb")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def archive(store):
    archive_zip.forget()
    assert archive_zip.built_archive(store) is None
    return archive_zip.build_pack_archive(store)


def test_every_table_in_three_formats_under_one_folder(store, archive):
    members = zipfile.ZipFile(io.BytesIO(archive.zip_bytes)).namelist()
    assert archive.folder == f"{store.study.study.id}-tables-v{store.data_version()}"
    assert all(m.startswith(archive.folder + "/") for m in members)
    tables = build_tables(ard_for(store, sensitivity=True), store.study)
    assert len(tables) == len(LAYOUTS)
    for table in tables:
        for fmt in ("docx", "rtf", "csv", "html"):
            assert f"{archive.folder}/table-{table.id}.{fmt}" in members
    for name in ("end-of-study-tables.docx", "ard.csv", "ard.parquet", "index.html", "listing-16.2.7.csv"):
        assert f"{archive.folder}/{name}" in members
    assert sorted(f"{archive.folder}/{n}" for n in archive.files.name) == sorted(members)
    sizes = dict(zip(archive.files.name, archive.files["size"], strict=True))
    assert sizes["table-14.2.1.csv"] == len(archive.member("table-14.2.1.csv")) > 0


def test_the_items_name_each_table_listing_and_figure(store, archive):
    items = archive.items
    tables = build_tables(ard_for(store, sensitivity=True), store.study)
    as_tables = items[items.kind == "table"]
    assert list(as_tables.id) == [t.id for t in tables] and list(as_tables.title) == [t.title for t in tables]
    assert list(as_tables.docx) == [f"table-{t.id}.docx" for t in tables]
    listings = {make(store).id: make(store).title for make in LISTINGS}
    assert dict(zip(items[items.kind == "listing"].id, items[items.kind == "listing"].title, strict=True)) == listings
    assert set(items[items.kind == "figure"].id) == set(archive_zip.FIGURE_TITLES)
    assert list(items.kind.drop_duplicates()) == ["table", "listing", "figure"]


def test_the_pack_carries_the_data_version_and_is_built_once_per_version(store, archive):
    assert archive.info.data_version == store.data_version() and archive.info.lock_state == "UNLOCKED"
    assert archive.info.stamp in archive.member("table-14.1.1.html").decode()
    assert archive_zip.built_archive(store) is archive
    assert archive_zip.build_pack_archive(store) is archive  # no second build for the same data
    assert archive_zip.current_info(store).data_version == archive.info.data_version


def test_new_data_make_the_kept_pack_stale(store, archive):
    line = store.scalar(  # one baseline count, recounted: the file line a site would send
        "SELECT site_id || ',' || subject_id || ',' || visit || ',' || strftime(assessment_date, '%Y-%m-%d') || ',' || region "
        "|| ',' || area_cm2 || ',' || (hair_count + 1) || ',' || coalesce(CAST(terminal_count AS VARCHAR), '') || ',' || "
        "coalesce(CAST(vellus_count AS VARCHAR), '') || ',' || coalesce(CAST(shaft_diameter_um AS VARCHAR), '') || ',' || "
        "coalesce(evaluator_id, '') FROM hair_counts WHERE visit = 'BASELINE' ORDER BY subject_id LIMIT 1")
    assert load(store, csv_bytes(HAIR_COUNTS_HEADER, [line]), "hair_counts", reason="recount").corrected == 1
    assert archive_zip.built_archive(store) is None  # the next visit of the Reports page offers to build again
