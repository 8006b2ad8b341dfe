"""Reports: the end-of-study pack for the current data, for a statistician the week of database lock.

The pack (every table as Word, CSV and HTML, the listings, the figures, the ARD) is built once per
data version and only when asked: at 10,000 subjects it takes several seconds, so the page opens
without it and a button builds it (or the one already built for this data version is shown). Then
it downloads whole, as a zip, or file by file, and any table previews here as it prints. Below it,
the ADaM datasets (XPT, Dataset-JSON, define.xml), written when their button is clicked.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui
from trial.cdisc.export import export_odm_bytes, export_zip
from trial.reports.archive_zip import (
    PackArchive,
    build_pack_archive,
    built_archive,
    current_info,
)
from trial.reports.pack import LAYOUTS

MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "csv": "text/csv",
        "html": "text/html", "png": "image/png", "zip": "application/zip", "rtf": "application/rtf"}
SECTIONS = (("table", "Tables (section 14)"), ("listing", "Listings (section 16.2)"), ("figure", "Figures"))
FORMATS = {"table": ("docx", "rtf", "csv", "html"), "listing": ("docx", "rtf", "csv", "html"), "figure": ("html", "png")}
LARGEST_PREVIEW = 3 * 2**20  # bytes of HTML; a 10,000-subject listing is larger and better opened from the zip


def show_stamp(info, *, built: bool) -> None:
    columns = st.columns([2, 1, 1])
    columns[0].metric("Data cut", info.data_cut, border=True, help="The latest date recorded in the study data: the same data cut as on the overview.")
    columns[1].metric("Data version", info.data_version, border=True, help="Grows with every committed change of the data.")
    columns[2].metric("Database", info.lock_state.capitalize(), border=True,
                      help="Tables for the clinical study report come from a locked database.")
    if built:
        st.caption(f"Every table of this pack carries: {info.stamp}. Generated {info.generated_at}.")


def download(container, archive: PackArchive, name: str, label: str, *, key: str, primary: bool = False) -> None:
    """A download written only when clicked (deferred): the page does not send the whole pack on every run."""
    note = ui.export_recorder()

    def member() -> bytes:
        note(f"pack file {name}", archive.info.stamp)
        return archive.member(name)

    container.download_button(label, member, file_name=name, mime=MIME.get(name.rsplit(".", 1)[-1]),
                              key=key, on_click="ignore", type="primary" if primary else "secondary", icon=":material/download:")


def show_items(archive: PackArchive) -> None:
    for kind, heading in SECTIONS:
        items = archive.items[archive.items.kind == kind]
        if items.empty:
            continue
        st.subheader(heading)
        for item in items.itertuples(index=False):
            row = st.container(horizontal=True, vertical_alignment="center", gap="small", border=False)
            # wide enough to take a whole line on a phone, so the buttons wrap together below it
            row.markdown(item.title if kind == "figure" else f"**{item.id}** {item.title}", width=560)
            for fmt in FORMATS[kind]:
                name = getattr(item, fmt, None)
                if isinstance(name, str):
                    download(row, archive, name, fmt.upper(), key=f"{kind}-{item.id}-{fmt}")
            if kind == "listing" and not isinstance(getattr(item, "docx", None), str):
                row.caption("too long for Word")


def show_preview(archive: PackArchive) -> None:
    st.subheader("Preview")
    previewable = archive.items[archive.items.kind.isin(["table", "listing"])]
    labels = {f"{r.kind}:{r.id}": f"{r.id} · {r.title}" for r in previewable.itertuples(index=False)}
    chosen = st.selectbox("Table to preview", list(labels), format_func=labels.get, key="preview_table")
    if chosen is None:
        return
    kind, item = chosen.split(":", 1)
    name = f"{kind}-{item}.html"
    size = int(archive.files.loc[archive.files.name == name, "size"].iloc[0])
    if size > LARGEST_PREVIEW:
        st.info(f"{labels[chosen]} is {size / 2**20:.1f} MiB of HTML, too large to preview here: download it above.")
        return
    # a table at its own height; a listing in a scrolling frame
    st.iframe(archive.member(name).decode("utf-8"), height="content" if kind == "table" else 640)


def show_cdisc() -> None:
    """The SDTM and ADaM datasets (XPT, Dataset-JSON and define.xml, one zip each) and the ODM file, written when a
    button is clicked."""
    st.subheader("CDISC exports")
    me = data.user()
    if me.blinded:
        st.caption("The SDTM and ADaM datasets and the ODM file carry every subject's arm: they are for unblinded statisticians.")
        return
    current = data.store()
    study_id = current.study.study.id

    def written(kind: str):  # run at the click, outside the page's run: the store and reader are this run's
        return lambda: export_zip(current, me, kind)  # recorded in the audit trail as an export

    left, middle, right = st.columns(3)
    left.download_button("Download the SDTM datasets (zip)", written("sdtm"), file_name=f"{study_id}-sdtm.zip", mime=MIME["zip"],
                         key="sdtm_zip", on_click="ignore", icon=":material/table_view:", width="stretch")
    middle.download_button("Download the ADaM datasets (zip)", written("adam"), file_name=f"{study_id}-adam.zip", mime=MIME["zip"],
                           key="adam_zip", on_click="ignore", icon=":material/dataset:", width="stretch")
    right.download_button("Download the ODM file (XML)", lambda: export_odm_bytes(current, me), file_name=f"{study_id}-odm.xml",
                          mime="application/xml", key="odm_xml", on_click="ignore", icon=":material/history_edu:", width="stretch")
    st.caption("SDTM (IG 3.4): the collected data as DM, DS, AE, PR, FA, XH, QS with their supplements and the trial "
               "design (TS, TE, TA, TV, TI). ADaM (IG 1.3): ADSL, ADHC, ADPT, ADGA and ADAE, the analysis datasets every "
               "table is computed from. Each as SAS XPT v5 and CDISC Dataset-JSON 1.1 with its define.xml (Define-XML 2.1). "
               "ODM 1.3.2: the study's metadata and every record as loaded, then each correction, with who, when and why. "
               "Written when you click, from the data as they are now.")


ui.heading(
    "Reports",
    "The end-of-study pack for the current data: the section 14 tables as Word, CSV and HTML, the listings, "
    "the figures and the analysis results dataset. Build it, then download it whole or table by table; below it, "
    "the CDISC exports: SDTM and ADaM datasets and the ODM file.",
)
store = ui.require_subjects("the end-of-study tables need the site files")
archive = built_archive(store)  # a lookup, never a build: the first render stays fast
if archive is None and st.session_state.get("pack_version") == data.version():
    archive = data.cached(build_pack_archive)  # this session built it (and this server's cache kept it)
show_stamp(archive.info if archive else data.cached(current_info), built=archive is not None)

if archive is None:
    st.markdown("The pack has not been built for this data version yet.")
    if not st.button("Build the pack", type="primary", icon=":material/build:", key="build_pack"):
        st.caption("Writes every table, listing and figure and zips them: a few seconds for a small study, "
                   "about twenty at 10,000 subjects. It is built once per data version and kept for everyone.")
        st.markdown(f"""**What the pack holds**
- the {len(LAYOUTS)} tables of section 14 (disposition, demographics, efficacy, safety), each as Word, CSV and HTML,
  and all of them in one Word document with a contents page;
- the listings of data-quality findings kept from loaded uploads (16.2.2) and of adverse events (16.2.7);
- the figures (CONSORT flow, change from baseline, individual changes, adverse events) as PNG and interactive HTML;
- the analysis results dataset (`ard.csv`, `ard.parquet`) every number comes from.""")
        show_cdisc()
        st.stop()
    with st.status("Building the end-of-study pack…", expanded=False) as status:
        archive = data.cached(build_pack_archive)
        status.update(label=f"Pack built in {archive.seconds:.1f} s", state="complete")
    st.session_state.pack_version = archive.info.data_version
    st.rerun()  # show the pack's own stamp and the downloads

archive = data.cached(build_pack_archive)  # the one kept for this data version
with st.container(horizontal=True, vertical_alignment="center"):
    note = ui.export_recorder()

    def whole_pack() -> bytes:
        note("end-of-study pack (zip)", archive.info.stamp)
        return archive.zip_bytes

    st.download_button(f"Download the whole pack (zip, {len(archive.zip_bytes) / 2**20:.1f} MiB)", whole_pack,
                       file_name=f"{archive.folder}.zip", mime=MIME["zip"], type="primary", icon=":material/folder_zip:",
                       key="pack_zip", on_click="ignore")
    download(st, archive, "end-of-study-tables.docx", "All tables in one Word document", key="pack_docx")
    download(st, archive, "ard.csv", "Analysis results dataset (CSV)", key="pack_ard")
show_items(archive)
show_preview(archive)
with st.expander(f"Files in the zip ({len(archive.files)})"):
    st.dataframe(archive.files.assign(size=(archive.files["size"] / 1024).round(1)).rename(columns={"size": "size (KiB)"}),
                 hide_index=True, placeholder="", width="stretch", key="pack_files")
show_cdisc()
