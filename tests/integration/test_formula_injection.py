"""Formula injection over every CSV the command line writes: `--format csv` of every command that has
it, and the end-of-study pack's CSV files and ard.csv (``trial tables``). The study (tests/hostile.py)
holds spreadsheet formulas in every free-text field; no cell of any CSV may start with a formula
character unless it is a plain number, numbers stay numbers, and the formulas are there, made text.
(The pages' downloads: tests/app/test_safe_output.py.)"""

from __future__ import annotations

import csv
import io
import re

import click
import pytest
from click.testing import CliRunner
from helpers import cli_login
from hostile import CORRECTION_REASON, HYPERLINK, PASSWORD, PLAIN_NUMBER, hostile_store

from trial.cli import main
from trial.csv_safe import FORMULA_STARTS
from trial.governance import session_file

PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
CSV_COMMANDS = {  # every command with --format csv → the arguments it is run with here (as the statistician)
    ("uploads",): [],
    ("uploads", "show"): ["5"],  # the adverse events: warnings quoting the preferred terms
    ("audit",): [],
    ("queries",): [],
    ("queries", "show"): ["1"],
}


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def _has_csv(command) -> bool:
    return any(isinstance(p, click.Option) and "--format" in p.opts and "csv" in getattr(p.type, "choices", ())
               for p in command.params)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return hostile_store(tmp_path_factory.mktemp("hostile-csv"))


def run(db, path: tuple[str, ...], *args: str, user: str = "stat"):
    """``trial PATH… ARGS --db DB`` as ``user``, logged in (a group takes --db before its subcommand)."""
    if len(path) == 2:
        command = [path[0], "--db", str(db), path[1], *args]
    else:
        command = [*path, "--db", str(db), *args]
    home = db.parent / "homes" / user
    if session_file.load(home, db) is None:
        cli_login(db, user, home, PASSWORD)
    result = CliRunner().invoke(main, command, env={"TRIAL_HOME": str(home)})
    assert result.exit_code == 0, (path, result.output)
    return result.output


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def live_formulas(rows: list[list[str]]) -> list[str]:
    """The cells a spreadsheet would run: starting with = + - @ tab or CR, and not a plain number."""
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER_RE.fullmatch(cell)]


def made_text(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith("'") and cell[1:2] in FORMULA_STARTS]


def test_the_test_runs_every_command_that_writes_csv():
    """A new command with --format csv must be added here, so that its output is checked too."""
    assert {path for path, command in _commands(main) if _has_csv(command)} == set(CSV_COMMANDS)


@pytest.mark.parametrize("path", list(CSV_COMMANDS), ids=" ".join)
def test_no_cell_of_a_cli_csv_runs_as_a_formula(db, path):
    rows = rows_of(run(db, path, *CSV_COMMANDS[path], "--format", "csv"))
    assert len(rows) > 1
    assert live_formulas(rows) == []
    assert made_text(rows), "the hostile values should be in this output, made text"


def test_the_cli_csvs_keep_the_values_and_the_numbers(db):
    uploads = rows_of(run(db, ("uploads",), "--format", "csv"))
    header = uploads[0]
    names = {row[header.index("file_name")] for row in uploads[1:]}
    assert {"'\t=hair_counts.csv", "'\r+rejected.csv", "'-randomization.csv", "'+subjects.csv", "'@adverse_events.csv"} <= names
    for column in ("upload_id", "rows_in_file", "rows_inserted", "errors", "warnings"):
        assert all(re.fullmatch(r"\d+", row[header.index(column)]) for row in uploads[1:]), column

    trail = rows_of(run(db, ("audit",), "--format", "csv"))
    header = trail[0]
    assert "'" + CORRECTION_REASON in [row[header.index("reason")] for row in trail[1:]]
    assert all(re.fullmatch(r"\d+", row[header.index("audit_id")]) for row in trail[1:])
    values = {row[header.index("new_value")] for row in trail[1:]} | {row[header.index("old_value")] for row in trail[1:]}
    assert "'=EV1()" in values  # the evaluator corrected: the old value, made text…
    assert PLAIN_NUMBER in values and "'" + PLAIN_NUMBER not in values  # …the new one a number, which stays one

    history = rows_of(run(db, ("queries", "show"), "1", "--format", "csv"))
    texts = [row[history[0].index("text")] for row in history[1:]]
    assert texts[1:] == ["'-2+3 please check", "'@SUM(A1:A9)"]


def test_no_cell_of_the_packs_csv_files_or_of_ard_csv_runs_as_a_formula(db, tmp_path):
    out = tmp_path / "pack"
    run(db, ("tables",), "--out", str(out))
    files = sorted(out.glob("*.csv"))
    assert out / "ard.csv" in files and len(files) > 10
    neutralised = []
    for path in files:
        rows = rows_of(path.read_text(encoding="utf-8"))
        assert live_formulas(rows) == [], path.name
        neutralised += made_text(rows)
    listing = rows_of((out / "listing-16.2.7.csv").read_text(encoding="utf-8"))
    assert "'" + HYPERLINK in [cell for row in listing for cell in row]  # the verbatim term, made text
    assert neutralised
    ard = rows_of((out / "ard.csv").read_text(encoding="utf-8"))
    value = ard[0].index("value")
    assert all(cell == "" or float(cell) == float(cell) for cell in (row[value] for row in ard[1:]))  # numbers stay numbers
