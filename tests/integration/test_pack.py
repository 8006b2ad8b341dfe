"""The end-of-study pack: every table in three formats, a combined DOCX, and the published numbers."""

import re
from html import escape as html_escape

import docx
import pandas as pd
import pytest
from helpers import scenario_store
from striprtf.striprtf import rtf_to_text

from trial.analysis.ard import ard_for
from trial.reports.pack import LAYOUTS, build_tables, write_pack
from trial.reports.layouts_safety import coding_note
from trial.reports.pack_figures import SPECS
from trial.study import load_study

SCENARIOS = ["dhurat2013", "kumar2018", "starace2019"]


@pytest.fixture(scope="module", params=SCENARIOS)
def pack(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    store = scenario_store(folder, request.param, seed=3)
    written = write_pack(store, folder / "pack")
    tables = build_tables(ard_for(store, sensitivity=True), store.study)
    yield request.param, folder / "pack", tables, written
    store.close()


def test_every_table_is_written_in_four_formats(pack):
    _, out, tables, written = pack
    assert len(tables) == len(LAYOUTS)
    for table in tables:
        for suffix in ("csv", "html", "docx", "rtf"):
            path = out / f"table-{table.id}.{suffix}"
            assert path.is_file() and path.stat().st_size > 0, path
    assert {p.name for p in written} >= {"end-of-study-tables.docx", "ard.csv", "ard.parquet", "index.html"}


def test_each_docx_is_a_real_word_table_with_the_expected_rows(pack):
    _, out, tables, _ = pack
    for table in tables:
        document = docx.Document(out / f"table-{table.id}.docx")
        [word_table] = document.tables
        assert len(word_table.rows) == len(table.rows) + 1
        header = [cell.text for cell in word_table.rows[0].cells]
        assert header == table.headings
        assert [word_table.rows[i + 1].cells[0].text.strip() for i in range(len(table.rows))] == [r.label for r in table.rows]
        csv = pd.read_csv(out / f"table-{table.id}.csv", keep_default_na=False)
        assert list(csv.columns) == table.headings and len(csv) == len(table.rows)


def test_every_table_and_listing_has_an_rtf_that_reads_back_to_its_csv(pack):
    _, out, tables, _ = pack
    names = [f"table-{t.id}" for t in tables] + [p.stem for p in sorted(out.glob("listing-*.csv"))]
    assert len(names) > len(tables)
    for name in names:
        lines = rtf_to_text((out / f"{name}.rtf").read_text(encoding="ascii")).splitlines()
        rows = [line.replace("\t", "").split("|")[:-1] for line in lines if line.endswith("|")]
        csv = pd.read_csv(out / f"{name}.csv", keep_default_na=False, dtype=str)
        header = list(csv.columns)
        body = [r for r in rows if r != header]
        assert rows[0] == header, name
        unguarded = csv.apply(lambda column: column.str.removeprefix("'"))  # the CSV's formula-injection guard on "-4.2"
        assert body == [[cell.strip() if i == 0 else cell for i, cell in enumerate(r)] for r in unguarded.itertuples(index=False)], name


def test_the_listings_are_written_by_site_and_subject(pack):
    _, out, _, _ = pack
    listing = pd.read_csv(out / "listing-16.2.7.csv", keep_default_na=False, dtype=str)
    labels = listing.iloc[:, 0].str.strip()
    assert labels.iloc[0].startswith("Site ")
    assert labels.str.match(r"^[A-Z0-9]+-\d+$").sum() > 0  # one row per event, labelled by subject
    document = docx.Document(out / "listing-16.2.7.docx")
    sites = labels.str.startswith("Site ").sum()
    assert len(document.tables) == sites  # one Word table, and page, per site
    assert sum(len(grid.rows) - 1 for grid in document.tables) == len(listing)
    assert (out / "listing-16.2.2.html").is_file()


def test_the_combined_docx_holds_every_table_in_order(pack):
    _, out, tables, _ = pack
    document = docx.Document(out / "end-of-study-tables.docx")
    listing_sites = sum(
        pd.read_csv(out / f"listing-{name}.csv", keep_default_na=False, dtype=str).iloc[:, 0].str.strip().str.startswith("Site ").sum()
        for name in ("16.2.7", "16.2.2")
    )
    assert len(document.tables) == len(tables) + listing_sites  # and the two listings, a Word table per site
    text = "\n".join(p.text for p in document.paragraphs)
    for table in tables:
        assert table.id in text


def _cells(out, table_id):
    frame = pd.read_csv(out / f"table-{table_id}.csv", keep_default_na=False, dtype=str)
    return frame.set_index(frame.columns[0].strip())


def test_the_published_numbers_are_in_the_tables(pack):
    scenario, out, _, _ = pack
    primary = pd.read_csv(out / "table-14.2.1.csv", keep_default_na=False, dtype=str)
    mean_row = primary[primary.iloc[:, 0].str.strip() == "Mean (SD)"].iloc[0].tolist()
    if scenario == "dhurat2013":
        assert mean_row[1].startswith("22.2 (") and mean_row[2].startswith("91.4 (")
        global_table = pd.read_csv(out / "table-14.2.5.csv", keep_default_na=False, dtype=str)
        responders = global_table[global_table.iloc[:, 0].str.strip() == "Responders (+2 or +3)"].iloc[0].tolist()
        assert responders[1] == "0" and responders[2] == "40 (80.0)"
    elif scenario == "kumar2018":
        assert mean_row[1].startswith("1.89 (") and mean_row[2].startswith("12.52 (")
    else:
        median_row = primary[primary.iloc[:, 0].str.strip() == "Median (Min, Max)"].iloc[0].tolist()
        assert median_row[1].startswith("36.64 (")
        subgroups = pd.read_csv(out / "table-14.2.4.csv", keep_default_na=False, dtype=str)
        medians = subgroups[subgroups.iloc[:, 0].str.strip() == "Median (Q1, Q3)"].iloc[:, 1].str.split(" ").str[0].tolist()
        for published in ("36.64", "35.10", "52.40", "51.97", "25.16", "17.45", "32.35", "35.88"):
            assert published in medians, (published, medians)


def test_the_figures_are_written_as_png_and_html(pack):
    import shutil

    _, out, _, written = pack
    browser = shutil.which("chromium") is not None  # .ci/run installs it; without it the pack says why
    for name in ("figure-mean-change", "figure-individual-changes", "figure-ae-incidence", "figure-consort"):
        html = (out / f"{name}.html").read_text()
        assert "plotly.min.js" in html and "cdn." not in html  # Plotly's script is local, never fetched
        png = out / f"{name}.png"
        if browser:
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        else:
            assert not png.exists() and "need Chromium" in (out / "index.html").read_text()
        spec = next(s for s in SPECS if s.name == name)
        assert f"{spec.caption}&nbsp;&nbsp;{html_escape(spec.title)}" in html and html_escape(spec.population) in html
    assert (out / "plotly.min.js").is_file()
    document = docx.Document(out / "end-of-study-tables.docx")
    titles = [p.text for p in document.paragraphs if p.style.name == "Table Title"]
    for spec in SPECS:  # each figure right after its table, drawn when Chromium is there
        caption = f"{spec.caption}  {spec.title}"
        assert caption in titles and titles.index(caption) > titles.index(next(t for t in titles if t.startswith(f"Table {spec.table} ")))
    assert len(document.inline_shapes) == (len(SPECS) if browser else 0)


def _labels(out, table_id):
    return pd.read_csv(out / f"table-{table_id}.csv", keep_default_na=False, dtype=str).iloc[:, 0].str.strip().tolist()


def test_visits_are_listed_in_protocol_order(pack):
    _, out, _, _ = pack
    def day(label):  # the scenarios' visits: Baseline, then weeks or months
        unit, _, number = label.partition(" ")
        return 0 if unit == "Baseline" else int(number) * {"Week": 7, "Month": 30}[unit]

    for table_id in ("14.2.2", "14.2.3"):
        shown = [label.split(":")[0] for label in _labels(out, table_id)]
        shown = list(dict.fromkeys(v for v in shown if v == "Baseline" or v.startswith(("Week ", "Month "))))
        assert len(shown) >= 2, (table_id, shown)
        assert shown == sorted(shown, key=day), (table_id, shown)


def test_codes_are_decoded_into_words(pack):
    _, out, _, _ = pack
    labels = _labels(out, "14.1.2")
    assert {"M", "F", "AGA", "TE", "AA"}.isdisjoint(labels)
    assert {"Male", "Female"} & set(labels)
    assert not [label for label in labels if label.startswith(("NORWOOD", "LUDWIG"))], labels
    assert "MINOX_MN" not in (out / "table-14.1.2.csv").read_text()
    subgroups = [label for label in _labels(out, "14.2.4") if ":" in label]  # "Sex: Male", "Diagnosis: …; Sex: Female"
    assert subgroups and all(re.fullmatch(r"(Diagnosis: [A-Z][a-z][^;]*)?(; )?(Sex: (Male|Female))?", s) for s in subgroups), subgroups


def test_minimum_and_maximum_are_shown_as_collected(pack):
    _, out, _, _ = pack
    frame = pd.read_csv(out / "table-14.1.2.csv", keep_default_na=False, dtype=str)
    age_range = frame[frame.iloc[:, 0].str.strip() == "Median (Min, Max)"].iloc[0, 1]  # age, whole years
    median, bounds = age_range.split(" (")
    assert "." in median  # the median one decimal more than collected
    assert all("." not in bound for bound in bounds.rstrip(")").split(", ")), age_range


def test_the_teae_table_starts_with_any_teae_and_matches_the_overview(pack):
    _, out, _, _ = pack
    by_term = pd.read_csv(out / "table-14.3.2.csv", keep_default_na=False, dtype=str)
    overview = pd.read_csv(out / "table-14.3.1.csv", keep_default_na=False, dtype=str)
    assert by_term.iloc[0, 0] == "Subjects with any TEAE"
    assert by_term.iloc[0, 1:].tolist() == overview.iloc[0, 1:].tolist()


def test_the_teae_table_names_its_coding_dictionary_from_the_study_file(pack):
    _, out, tables, _ = pack
    (by_term,) = [t for t in tables if t.id == "14.3.2"]
    text = "\n".join(p.text for p in docx.Document(out / "table-14.3.2.docx").paragraphs)
    assert by_term.footnotes[-1].startswith("Adverse events coded with ") and by_term.footnotes[-1] in text
    study = load_study("demo")
    named = coding_note(study)
    assert named == f"Adverse events coded with {study.study.ae_dictionary}." and "v1" in named
    unnamed = study.model_copy(update={"study": study.study.model_copy(update={"ae_dictionary": ""})})
    assert "names no dictionary" in coding_note(unnamed)


def test_listings_are_named_listings_and_come_in_number_order(pack):
    _, out, _, _ = pack
    document = docx.Document(out / "end-of-study-tables.docx")
    titles = [p.text for p in document.paragraphs if p.style.name == "Table Title"]
    listings = [t.split()[1] for t in titles if t.startswith("Listing ")]
    assert listings == ["16.2.2", "16.2.7"]
    assert not [t for t in titles if t.startswith("Table 16.")]
    assert "<title>Listing 16.2.7</title>" in (out / "listing-16.2.7.html").read_text()


def test_the_adverse_event_listing_reads_in_words(pack):
    _, out, _, _ = pack
    listing = pd.read_csv(out / "listing-16.2.7.csv", keep_default_na=False, dtype=str)
    events = listing[listing.Arm != ""]
    assert len(events) > 0
    assert set(events.Severity) <= {"Mild", "Moderate", "Severe"}
    assert set(events.Serious) <= {"Yes", "No"} and set(events.TEAE) <= {"Yes", "No"}
    assert not events.Arm.str.fullmatch(r"[A-Z_]+").any(), set(events.Arm)  # arm labels, not codes
