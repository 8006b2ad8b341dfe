"""The command-line contract: help everywhere, exit codes, sentences instead of tracebacks."""

import json

import click
import pytest
from click.testing import CliRunner

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, RANDOMIZATION_HEADER, RANDOMIZATION_ROWS, SUBJECTS_HEADER, SUBJECTS_ROWS, csv_bytes
from trial.cli import main


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    command = dict(_commands(main))[path]
    assert command.help and len(command.help) > 20
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.duckdb"
    assert CliRunner().invoke(main, ["init", "--db", str(path), "--user", "alice"]).exit_code == 0
    return path


def _write(tmp_path, name, header, rows):
    path = tmp_path / name
    path.write_bytes(csv_bytes(header, rows))
    return str(path)


def test_load_several_files_in_domain_order_then_list_and_audit(db, tmp_path):
    files = [
        _write(tmp_path, "hc.csv", HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS),
        _write(tmp_path, "rand.csv", RANDOMIZATION_HEADER, RANDOMIZATION_ROWS),
        _write(tmp_path, "subj.csv", SUBJECTS_HEADER, SUBJECTS_ROWS),
    ]
    runner = CliRunner()
    result = runner.invoke(main, ["load", *files, "--db", str(db), "--user", "carol"])
    assert result.exit_code == 0, result.output
    assert result.output.index("subj.csv") < result.output.index("rand.csv") < result.output.index("hc.csv")

    listed = json.loads(runner.invoke(main, ["uploads", "--db", str(db), "--format", "json"]).output)
    assert [u["file_name"] for u in listed] == ["hc.csv", "rand.csv", "subj.csv"]
    assert {u["user_name"] for u in listed} == {"carol"}

    trail = runner.invoke(main, ["audit", "--db", str(db), "--table", "hair_counts"])
    assert "INSERT" in trail.output and "4 rows from hc.csv" in trail.output


def test_correction_via_cli_needs_a_reason_then_shows_in_audit(db, tmp_path):
    runner = CliRunner()
    for name, header, rows in (("s.csv", SUBJECTS_HEADER, SUBJECTS_ROWS), ("r.csv", RANDOMIZATION_HEADER, RANDOMIZATION_ROWS)):
        assert runner.invoke(main, ["load", _write(tmp_path, name, header, rows), "--db", str(db)]).exit_code == 0
    assert runner.invoke(main, ["load", _write(tmp_path, "hc.csv", HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS), "--db", str(db)]).exit_code == 0
    fixed = _write(tmp_path, "hc2.csv", HAIR_COUNTS_HEADER, [HAIR_COUNTS_ROWS[0].replace(",120,", ",121,")])

    refused = runner.invoke(main, ["load", fixed, "--db", str(db)])
    assert refused.exit_code == 1
    assert "line 2, hair_count" in refused.output and "--reason" in refused.output

    accepted = runner.invoke(main, ["load", fixed, "--db", str(db), "--user", "dan", "--reason", "CRF says 121"])
    assert accepted.exit_code == 0, accepted.output
    trail = json.loads(runner.invoke(main, ["audit", "--db", str(db), "--subject", "s01-001", "--format", "json"]).output)
    [correction] = [t for t in trail if t["action"] == "CORRECT"]
    assert (correction["old_value"], correction["new_value"], correction["user_name"], correction["reason"]) == (
        "120", "121", "dan", "CRF says 121"
    )
    assert correction["changed_at"]


def test_uploads_show_and_raw_return_the_findings_and_exact_bytes(db, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,eligible\nS01,S01-001,2024-01-03,2024-01-03,17,M,AGA,Y\n")
    assert runner.invoke(main, ["load", str(bad), "--db", str(db)]).exit_code == 1
    shown = runner.invoke(main, ["uploads", "show", "1", "--db", str(db)])
    assert shown.exit_code == 0 and "rejected" in shown.output and "17 is outside" in shown.output
    out = tmp_path / "copy.csv"
    assert runner.invoke(main, ["uploads", "raw", "1", "--out", str(out), "--db", str(db)]).exit_code == 0
    assert out.read_bytes() == bad.read_bytes()


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["uploads"], "There is no database"),
        (["load", "x.csv"], "There is no database"),
        (["audit"], "There is no database"),
    ],
)
def test_a_missing_database_is_one_sentence(tmp_path, args, sentence):
    result = CliRunner().invoke(main, [*args, "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert sentence in result.output and "Traceback" not in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_init_twice_and_bad_study_files_are_sentences(db, tmp_path):
    runner = CliRunner()
    again = runner.invoke(main, ["init", "--db", str(db)])
    assert again.exit_code == 2 and "already exists" in again.output
    broken = tmp_path / "study.toml"
    broken.write_text('[study]\nid = "X"\n')
    result = runner.invoke(main, ["init", "--study", str(broken), "--db", str(tmp_path / "new.duckdb")])
    assert result.exit_code == 2 and "problem" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "new.duckdb").exists()


def test_unknown_domain_and_missing_file_are_usage_errors(db, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["load", "x.csv", "--domain", "labs", "--db", str(db)]).exit_code == 2
    missing = runner.invoke(main, ["load", str(tmp_path / "nope.csv"), "--db", str(db)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_second_study_is_declared_without_code(tmp_path):
    runner = CliRunner()
    path = tmp_path / "single.duckdb"
    result = runner.invoke(main, ["init", "--study", "single_arm", "--db", str(path)])
    assert result.exit_code == 0 and "MN-SINGLE" in result.output and "1 arm(s)" in result.output


def test_tables_writes_the_ard(tmp_path):
    runner = CliRunner()
    db = tmp_path / "demo.duckdb"
    assert runner.invoke(main, ["demo", "--no-serve", "--db", str(db)]).exit_code == 0
    result = runner.invoke(main, ["tables", "--out", str(tmp_path / "pack"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    ard = pd.read_csv(tmp_path / "pack" / "ard.csv", keep_default_na=False)
    assert list(ard.columns) == ["table_id", "population", "param", "category", "visit", "group", "method", "stat", "value"]
    assert {"14.1.1", "14.2.1", "14.2.5", "14.3.2"} <= set(ard.table_id)
    assert pd.read_parquet(tmp_path / "pack" / "ard.parquet").shape == ard.shape


def test_tables_pdf_without_a_converter_is_one_sentence(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    db = tmp_path / "demo.duckdb"
    assert CliRunner().invoke(main, ["demo", "--no-serve", "--db", str(db)]).exit_code == 0
    bin_dir = str(Path(sys.executable).parent)  # the venv's tools only: no soffice
    done = subprocess.run([sys.executable, "-m", "trial.cli", "tables", "--out", str(tmp_path / "pack"), "--pdf", "--db", str(db)],
                          capture_output=True, text=True, env={**os.environ, "PATH": bin_dir}, timeout=300)
    assert done.returncode == 2 and "No PDF converter found" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "pack" / "end-of-study-tables.docx").is_file()  # the pack itself was written


@pytest.mark.skipif(__import__("shutil").which("soffice") is None, reason="LibreOffice is not installed here")
def test_tables_pdf_with_libreoffice(tmp_path):
    db = tmp_path / "demo.duckdb"
    CliRunner().invoke(main, ["demo", "--no-serve", "--scenario", "starace2019", "--db", str(db)])
    result = CliRunner().invoke(main, ["tables", "--out", str(tmp_path / "pack"), "--pdf", "--db", str(db)])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "pack" / "end-of-study-tables.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # the contents carry real page numbers: each entry's number is the page that opens with its
    # caption and title, and that page's footer says so ("Page n of N")
    import re

    from pypdf import PdfReader

    pages = [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]
    contents = next(text for text in pages if text.startswith("Contents") or " Contents " in f" {text} ")
    entries = re.findall(r"((?:Table|Figure|Listing) [\d.]+) (.+?)\.{3,} ?(\d+)", contents)
    assert len(entries) >= 15, contents  # every table, figure and listing of the pack
    numbers = [int(n) for _, _, n in entries]
    assert numbers == sorted(numbers) and numbers[0] > pages.index(contents) + 1
    for caption, title, number in entries:
        page = pages[int(number) - 1]
        assert f"{caption} {title}" in page and f"Page {number} of {len(pages)}" in page, (caption, number)
    assert "Page numbers appear when fields are updated" not in contents


def test_serve_on_a_missing_database_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "There is no database at" in result.output and "trial init" in result.output and "Traceback" not in result.output


def test_a_dry_run_says_it_is_a_check_not_an_upload_and_records_nothing(db, tmp_path):
    """As on the Upload page: a rejected file is kept only when it is really uploaded."""
    from trial.store import Store

    bad = _write(tmp_path, "subj-bad.csv", SUBJECTS_HEADER, [SUBJECTS_ROWS[0].replace(",M,", ",X,", 1)])
    good = _write(tmp_path, "subj.csv", SUBJECTS_HEADER, SUBJECTS_ROWS[1:])
    runner = CliRunner()
    checked = runner.invoke(main, ["load", good, bad, "--dry-run", "--db", str(db), "--user", "carol"])
    assert checked.exit_code == 1
    assert "subj.csv (subjects): checked, not uploaded (dry run)" in checked.output
    assert "subj-bad.csv (subjects): REJECTED (dry run: not recorded; uploaded, it would be kept as a rejected upload)" in checked.output
    assert checked.output.rstrip().endswith("Dry run: the files were checked, not uploaded; nothing was recorded. "
                                            "Run the command without --dry-run to upload them.")
    with Store.open(db) as store:
        assert store.scalar("SELECT count(*) FROM uploads") == 0
    uploaded = runner.invoke(main, ["load", bad, "--db", str(db), "--user", "carol"])
    assert uploaded.exit_code == 1 and "REJECTED (logged as upload 1)" in uploaded.output and "Dry run" not in uploaded.output
