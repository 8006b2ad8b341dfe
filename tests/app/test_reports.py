"""The Reports page: guidance on an empty database; on the loaded scenario the first render shows the
data cut, data version and lock state without building the pack; the button builds it once for the
data version, and the zip it offers holds every table of the pack in three formats, with each table
downloadable on its own and previewed as it prints."""

from __future__ import annotations

import io
import zipfile

from dashboards import data
from trial.reports import archive_zip
from trial.reports.pack import LAYOUTS, build_tables, pack_info
from trial.store import Store

PAGE = "views/reports.py"


def test_an_empty_database_gets_guidance(empty_app):
    at = empty_app(PAGE)
    assert at.title[0].value == "Reports"
    assert "Nothing to show yet" in at.info[0].value
    assert not at.button


def test_the_first_render_does_not_build_then_the_button_builds_the_whole_pack(loaded_app, dhurat_db, ard_of):
    archive_zip.forget()
    data.forget()
    at = loaded_app(PAGE)
    with Store.open(dhurat_db) as store:
        expected = pack_info(store, build_tables(ard_of(dhurat_db), store.study))
        version = store.data_version()
        assert archive_zip.built_archive(store) is None  # nothing was built by opening the page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Data cut": expected.data_cut, "Data version": str(version), "Database": expected.lock_state.capitalize()}
    with Store.open(dhurat_db) as store:  # the overview's data cut: the latest date in the study data, not an upload time
        latest = store.scalar("SELECT greatest((SELECT max(assessment_date) FROM hair_counts), (SELECT max(status_date) FROM disposition), "
                              "(SELECT max(session_date) FROM procedures), (SELECT max(greatest(onset_date, resolution_date)) "
                              "FROM adverse_events))")
    assert expected.data_cut == latest.isoformat()
    assert [b.label for b in at.button] == ["Build the pack"]
    assert [b.label for b in at.get("download_button")] == [  # the CDISC exports; the pack's wait for the build
        "Download the SDTM datasets (zip)", "Download the ADaM datasets (zip)", "Download the ODM file (XML)"]

    at.button(key="build_pack").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Store.open(dhurat_db) as store:
        archive = archive_zip.built_archive(store)
        tables = [t.id for t in build_tables(ard_of(dhurat_db), store.study)]
    assert archive is not None and archive.info.data_version == version
    assert archive.info.stamp in "\n".join(c.value for c in at.caption)  # the stamp every table carries
    members = zipfile.ZipFile(io.BytesIO(archive.zip_bytes)).namelist()
    assert len(tables) == len(LAYOUTS)
    for table in tables:
        for fmt in ("docx", "rtf", "csv", "html"):
            assert f"{archive.folder}/table-{table}.{fmt}" in members, (table, fmt)
    assert f"{archive.folder}/end-of-study-tables.docx" in members and f"{archive.folder}/ard.csv" in members
    # the files listed on the page are the zip's
    [listed] = [d.value for d in at.dataframe if "name" in d.value.columns]
    assert sorted(f"{archive.folder}/{n}" for n in listed.name) == sorted(members)
    labels = [b.label for b in at.get("download_button")]
    assert labels[0].startswith("Download the whole pack (zip")
    assert labels.count("DOCX") >= len(LAYOUTS) and labels.count("CSV") >= len(LAYOUTS) and labels.count("HTML") >= len(LAYOUTS)
    assert labels.count("RTF") >= len(LAYOUTS)
    # a table's own file is the zip's member, byte for byte, and its HTML previews inline
    assert archive.member("table-14.3.1.csv") == zipfile.ZipFile(io.BytesIO(archive.zip_bytes)).read(
        f"{archive.folder}/table-14.3.1.csv")
    assert at.selectbox(key="preview_table").value == "table:14.1.1"
    assert len(at.get("iframe")) == 1

    # built once per data version: the next visit shows it at once, without the button
    again = loaded_app(PAGE)
    assert not again.button and again.get("download_button")
    with Store.open(dhurat_db) as store:
        assert archive_zip.built_archive(store) is archive
