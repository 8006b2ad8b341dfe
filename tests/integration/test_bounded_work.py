"""Bounded work: a file with thousands (or millions) of bad cells lists the first findings of each
rule and counts the rest, in what is returned, printed, shown and stored; a header far wider than
the domain is refused before its rows are read; and the worst files stay within a memory bound."""

import json
import os
import subprocess
import sys

import duckdb
import pytest

from helpers import (
    HAIR_COUNTS_HEADER,
    SUBJECTS_HEADER,
    csv_bytes,
    hair_count_file,
    load,
    new_store,
    seed,
    study_files,
)
from benchmarks.memory import PEAK_SCRIPT
from trial import findings as fd
from trial.findings import MOST_PER_RULE, NOT_LISTED

TRIAL = [sys.executable, "-m", "trial.cli"]
PROCEDURES_HEADER = "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding"


def subjects_file(rows: int, age: str = "30") -> bytes:
    return csv_bytes(SUBJECTS_HEADER, [f"S01,S01-{n:05d},2024-01-03,2024-01-03,{age},M,AGA,NORWOOD,III,IV,Y"
                                       for n in range(1, rows + 1)])


def of_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def not_listed(result):
    return {(f.message.split(" more ")[1].split(" are not listed")[0], int(f.value)) for f in result.findings
            if f.rule == NOT_LISTED}


# --------------------------------------------------------------------------- the caps
def test_a_rule_broken_on_thousands_of_lines_lists_its_first_findings_and_counts_the_rest(store):
    rows = [f"S01,S01-9{n:04d},BASELINE,2024-01-09,TARGET,1,-5,,,,EV1" for n in range(2500)]
    result = load(store, csv_bytes(HAIR_COUNTS_HEADER, rows), "hair_counts")
    assert result.status == "rejected"
    below = of_rule(result, "below_minimum")  # pandera
    unknown = of_rule(result, "subject_exists")  # an SQL edit check
    assert len(below) == len(unknown) == MOST_PER_RULE
    assert [f.line for f in below] == list(range(2, 2 + MOST_PER_RULE))  # the first ones, by line
    assert not_listed(result) == {("findings of the rule below_minimum", 1500), ("findings of the rule subject_exists", 1500)}
    assert result.error_count == 5000
    summary = next(f for f in result.findings if f.rule == NOT_LISTED)
    assert summary.sentence.startswith("… and 1,500 more findings of the rule")
    assert "fix the ones listed and upload the file again" in summary.sentence


def test_what_is_stored_is_what_is_listed_and_the_count_is_the_whole(store):
    rows = [f"S01,S01-9{n:04d},BASELINE,2024-01-09,TARGET,1,-5,,,,EV1" for n in range(2500)]
    result = load(store, csv_bytes(HAIR_COUNTS_HEADER, rows), "hair_counts")
    assert store.scalar("SELECT count(*) FROM findings WHERE upload_id = $id", {"id": result.upload_id}) == 2 * MOST_PER_RULE + 2
    assert store.scalar("SELECT errors FROM uploads WHERE upload_id = $id", {"id": result.upload_id}) == 5000
    assert store.scalar("SELECT value FROM findings WHERE upload_id = $id AND rule = 'not_listed' AND message LIKE '%below_minimum%'",
                        {"id": result.upload_id}) == "1500"
    from trial.readers.monitoring import headline

    assert headline(store).rejected_errors == 5000  # the overview counts what is not listed too


def test_cells_that_do_not_fit_their_column_are_counted_once(store):
    """3,000 ages that are not numbers: 1,000 explained, 2,000 counted; the emptied typed cells are
    not reported a second time as required and empty."""
    result = load(store, subjects_file(3000, age="thirty"), "subjects")
    assert len(of_rule(result, "not_a_number")) == MOST_PER_RULE
    assert of_rule(result, "required") == []
    assert not_listed(result) == {("values in the column age that do not fit it", 2000)}
    assert result.error_count == 3000


def test_a_column_that_does_not_fit_leaves_room_for_the_empty_required_cells_of_another(store):
    rows = [f"S01,S01-{n:05d},2024-01-03,2024-01-03,thirty,M,AGA,NORWOOD,III,IV,Y" for n in range(1, 1501)]
    rows += [f"S01,S01-{n:05d},2024-01-03,2024-01-03,30,,AGA,NORWOOD,III,IV,Y" for n in range(1501, 1511)]
    result = load(store, csv_bytes(SUBJECTS_HEADER, rows), "subjects")
    assert [f.line for f in of_rule(result, "required")] == list(range(1502, 1512))  # sex, past the bad ages


def test_duplicate_keys_are_capped(store):
    result = load(store, subjects_file(1) + b"".join([subjects_file(1).split(b"\n", 1)[1]] * 2000), "subjects")
    assert len(of_rule(result, "duplicate_key")) == MOST_PER_RULE
    assert not_listed(result) == {("findings of the rule duplicate_key", 1000)}


def test_lines_with_too_many_values_are_capped_in_the_exact_reader(store):
    good = subjects_file(1).decode().splitlines()
    body = "\n".join(f"{good[1]},extra{n}" for n in range(1500))
    result = load(store, f"{good[0]}\n\n{body}\n".encode(), "subjects")  # the blank line: the exact reader
    assert len(of_rule(result, "too_many_values")) == MOST_PER_RULE
    assert not_listed(result) == {("findings of the rule too_many_values", 500)}


def test_values_in_unnamed_columns_are_capped():
    """The issue's file in small: values in 3 columns without a name on every line."""
    with_values = "\n".join(f"S01,S01-002,2024-01-{n % 28 + 1:02d},ROLLER,1.5,12,3,Y,a,b,c" for n in range(2000))
    data = f"{PROCEDURES_HEADER},,,\n{with_values}\n".encode()
    from trial.ingest.cells import type_cells
    from trial.ingest.csvfile import read_cells
    from trial.ingest.header import match_header

    cells = read_cells(data)
    header = match_header(cells.header, None)
    budget = fd.Budget()
    _, found, _ = type_cells(cells.cells, header.domain, header.positions, header.unnamed, budget)
    assert len(found) == MOST_PER_RULE
    assert {(f.value, f.rule) for f in budget.listing(found) if f.rule == NOT_LISTED} == {("5000", NOT_LISTED)}


def test_the_cap_in_all_keeps_errors_before_warnings():
    budget = fd.Budget(per_rule=3, in_all=4)
    warnings = [fd.Finding(n, "visit", None, "visit_window", fd.Severity.WARNING, "late") for n in range(2, 6)]
    errors = [fd.error(n, f"c{n}", None, f"rule{n}", "bad") for n in range(10, 13)]
    listed = budget.listing(budget.keep(warnings) + budget.keep(errors))
    shown = [f for f in listed if f.rule != NOT_LISTED]
    assert [f.severity for f in shown] == ["warning", "error", "error", "error"]
    assert fd.counted(listed, fd.Severity.WARNING) == 4 and fd.counted(listed, fd.Severity.ERROR) == 3
    assert [f.line for f in shown if f.severity == "warning"] == [2]


# --------------------------------------------------------------------------- corrections
def test_corrections_with_a_reason_are_all_made_and_audited_but_listed_only_in_part(tmp_path):
    store = new_store(tmp_path / "big.duckdb")
    try:
        subjects, randomization = study_files(400)
        for domain, data in (("subjects", subjects), ("randomization", randomization)):
            assert load(store, data, domain).status == "loaded"
        first = hair_count_file([f"S01-{n:04d}" for n in range(1, 401)])
        assert load(store, first, "hair_counts").status == "loaded"
        header, *rows = first.decode().splitlines()
        changed = csv_bytes(header, [",".join(c[:6] + [str(int(c[6]) + 1)] + c[7:]) for c in (r.split(",") for r in rows)])

        refused = load(store, changed, "hair_counts")
        assert len(of_rule(refused, "correction_needs_reason")) == MOST_PER_RULE
        assert not_listed(refused) == {("findings of the rule correction_needs_reason", 600)}

        done = load(store, changed, "hair_counts", reason="recounted")
        assert (done.status, done.corrected, len(done.changes), done.changes_not_listed) == ("loaded", 1600, MOST_PER_RULE, 600)
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action = 'CORRECT' AND upload_id = $id",
                            {"id": done.upload_id}) == 1600
        assert store.scalar("SELECT count(*) FROM hair_counts WHERE upload_id = $id", {"id": done.upload_id}) == 1600
        from trial.governance.integrity import verify
        assert verify(store).problems == []
    finally:
        store.close()


# --------------------------------------------------------------------------- the header
def test_a_header_far_wider_than_the_domain_is_refused_at_the_header(store):
    row = "S01,S01-002,2024-01-22,ROLLER,1.5,12,3,Y" + ",x" * 10_000
    data = (PROCEDURES_HEADER + "," * 10_000 + "\n" + "\n".join([row] * 200) + "\n").encode()
    result = load(store, data, "procedures")
    assert [(f.line, f.rule) for f in result.findings] == [(1, "too_many_columns")]
    assert result.findings[0].message.startswith("the header has 10,008 columns, but a procedures file has 8")
    assert result.rows_in_file == 0  # the rows were never read


def test_a_far_too_wide_header_of_no_named_domain_is_refused_too(store):
    result = load(store, (SUBJECTS_HEADER + ",x" * 40 + "\n").encode())
    assert [f.rule for f in result.findings] == ["too_many_columns"]
    assert "the widest domain, adverse_events, has 14" in result.findings[0].message


def test_a_few_unknown_or_repeated_columns_are_each_named(store):
    header = SUBJECTS_HEADER + ",colour,age,notes"
    result = load(store, (header + "\n" + "S01,S01-001,2024-01-03,2024-01-03,30,M,AGA,NORWOOD,III,IV,Y,red,30,x\n").encode(), "subjects")
    assert sorted((f.rule, f.column) for f in result.findings) == [
        ("duplicate_column", "age"), ("unknown_column", "colour"), ("unknown_column", "notes")]


def test_twenty_extra_columns_are_read_twenty_one_are_not(store):
    row = "S01,S01-001,2024-01-03,2024-01-03,30,M,AGA,NORWOOD,III,IV,Y"
    assert load(store, (SUBJECTS_HEADER + "," * 20 + "\n" + row + "\n").encode(), "subjects").status == "loaded"
    refused = load(store, (SUBJECTS_HEADER + "," * 21 + "\n" + row + "\n").encode(), "subjects", name="wider.csv")
    assert [f.rule for f in refused.findings] == ["too_many_columns"]


# --------------------------------------------------------------------------- what a person sees
def test_the_command_line_prints_the_count_of_what_is_not_listed(tmp_path):
    db = tmp_path / "study.duckdb"
    new_store(db).close()
    bad = tmp_path / "subjects.csv"
    bad.write_bytes(subjects_file(3000, age="thirty"))
    done = subprocess.run([*TRIAL, "load", str(bad), "--db", str(db)], capture_output=True, text=True, timeout=120,
                          env=os.environ | {"TRIAL_HOME": str(tmp_path / "home")})
    assert done.returncode == 1
    assert "3,000 error(s)" in done.stdout
    assert "… and 2,000 more values in the column age that do not fit it are not listed" in done.stdout
    as_json = subprocess.run([*TRIAL, "load", str(bad), "--db", str(db), "--format", "json", "--dry-run"],
                             capture_output=True, text=True, timeout=120, env=os.environ | {"TRIAL_HOME": str(tmp_path / "home")})
    (result,) = json.loads(as_json.stdout)
    assert result["errors"] == 3000 and len(result["findings"]) == MOST_PER_RULE + 1
    shown = subprocess.run([*TRIAL, "uploads", "show", "1", "--db", str(db), "--format", "json"], capture_output=True,
                           text=True, timeout=120, env=os.environ | {"TRIAL_HOME": str(tmp_path / "home")})
    stored = json.loads(shown.stdout)
    assert len(stored) == MOST_PER_RULE + 1 and stored[-1]["rule"] == NOT_LISTED


# --------------------------------------------------------------------------- memory
# the child reports its own peak: benchmarks/memory.py explains why, and measures the sizes
@pytest.mark.slow
def test_a_file_whose_every_cell_is_wrong_loads_in_bounded_memory(tmp_path):
    """24 MiB of hair counts whose every cell is a different wrong value (about 3 million bad
    cells; before the caps this took over 5 GiB per 16 MiB): the command's peak stays under 1 GiB."""
    db = tmp_path / "study.duckdb"
    with new_store(db) as store:
        seed(store)
    bad = tmp_path / "hair_counts.csv"
    with bad.open("w") as out:
        out.write(HAIR_COUNTS_HEADER + "\n")
        n = 0
        while out.tell() < 24 * 2**20:
            out.write("".join(f"x{i},y{i},V{i},{i}/{i % 12 + 1}/2024,R{i},{i},{i}.5,#N/A,-{i},{i},E{i}\n"
                              for i in range(n, n + 10_000)))
            n += 10_000
    peak = tmp_path / "peak"
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(peak), "load", str(bad), "--domain", "hair_counts", "--db", str(db)],
                          capture_output=True, text=True, timeout=900, env=os.environ | {"TRIAL_HOME": str(tmp_path / "home")})
    assert done.returncode == 1 and "REJECTED" in done.stdout, done.stderr
    assert int(peak.read_text()) / 1024 < 1024
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] <= fd.MOST_IN_ALL + 50
    con.close()


def test_a_file_read_in_many_batches_keeps_its_line_numbers_and_counts(store):
    """40,000 rows (several of the exact reader's batches, forced by a blank line): the first bad
    ages are explained with their own lines, the rest counted across the batches."""
    header, *rows = subjects_file(40_000, age="x").decode().splitlines()
    result = load(store, (header + "\n\n" + "\n".join(rows) + "\n").encode(), "subjects")
    bad = of_rule(result, "not_a_number")
    assert [f.line for f in bad] == list(range(3, 3 + MOST_PER_RULE))
    assert not_listed(result) == {("values in the column age that do not fit it", 39_000)}
    assert result.error_count == 40_000


def test_the_default_upload_limit_is_the_measured_one(monkeypatch):
    """128 MiB: the size at which benchmarks/memory.py measured every worst file under 1.5 GiB."""
    from trial.ingest.upload import DEFAULT_SIZE_LIMIT
    from trial.settings import Settings

    monkeypatch.delenv("TRIAL_UPLOAD_LIMIT_MB", raising=False)
    assert Settings.from_env().upload_limit_bytes == DEFAULT_SIZE_LIMIT == 128 * 2**20
