"""trial.csv_safe: a spreadsheet opens every CSV the system writes as data, never as formulas; and no
module writes a CSV any other way."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from trial.csv_safe import FORMULA_STARTS, neutralised, write_csv

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
           "-3+A1", "-1e5+1", "=-3", "+", "-", "-inf", "--3", "-3 ", "-٣"]  # the last: an Arabic-Indic digit


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("attack", ATTACKS, ids=repr)
def test_a_text_cell_a_spreadsheet_would_run_is_prefixed_with_a_quote(attack):
    assert neutralised(attack) == "'" + attack
    [header, row] = _cells(write_csv(pd.DataFrame({"term": [attack]})))
    assert row == ["'" + attack]


@pytest.mark.parametrize("number", ["-3", "+3", "-3.25", "-.5", "+1.5e3", "-2E-7", "12", "0"])
def test_a_text_cell_that_is_a_plain_number_stays_a_number(number):
    """A VARCHAR value column holds numbers of every domain: "-3" is the number -3 to a spreadsheet."""
    assert neutralised(number) == number
    assert _cells(write_csv(pd.DataFrame({"old_value": [number]})))[1] == [number]


def test_numeric_boolean_and_date_columns_are_untouched_and_other_text_is_kept():
    frame = pd.DataFrame({
        "n": [-1, 2], "x": [-0.5, float("nan")], "flag": [True, False],
        "at": pd.to_datetime(["2024-01-02", None]), "nullable": pd.array([-4, None], dtype="Int64"),
        "term": ["Erythema", None], "mixed": pd.Series([-7, "-x"], dtype=object),
    })
    rows = _cells(write_csv(frame))
    assert rows[1] == ["-1", "-0.5", "True", "2024-01-02", "-4", "Erythema", "-7"]
    assert rows[2] == ["2", "", "False", "", "", "", "'-x"]
    assert frame.term.tolist()[0] == "Erythema" and frame.mixed.tolist() == [-7, "-x"]  # the caller's frame is not changed


def test_column_names_are_neutralised_too():
    assert _cells(write_csv(pd.DataFrame({"=cmd": [1], "-2": [2]})))[0] == ["'=cmd", "-2"]


def test_a_carriage_return_inside_a_cell_is_quoted_so_that_no_row_starts_at_it(tmp_path):
    """A spreadsheet ends a row at a bare CR: unquoted, "abc\\r=1+1" would put =1+1 first in a row of its own."""
    text = write_csv(pd.DataFrame({"reason": ["abc\r=1+1", "line\n@x"]}))
    assert '"abc\r=1+1"' in text and '"line\n@x"' in text
    assert _cells(text)[1:] == [["abc\r=1+1"], ["line\n@x"]]
    path = tmp_path / "out.csv"
    assert write_csv(pd.DataFrame({"reason": ["abc\r=1+1"]}), path) is None
    assert path.read_bytes() == b'reason\r\n"abc\r=1+1"\r\n'


def test_every_formula_start_is_covered():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


# pandas' writer and the csv module's (trial/ingest/csvfile.py reads uploads with the csv module: reading is fine)
CSV_WRITERS = re.compile(r"\.to_csv\(|\bcsv\.(writer|DictWriter)\(|from csv import[^\n]*\b(writer|DictWriter)\b")


def test_no_module_writes_a_csv_except_through_write_csv():
    """A new CSV writer in trial/ or dashboards/ that forgot the formulas fails here: use trial.csv_safe.write_csv."""
    others = []
    for folder in ("trial", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "trial" / "csv_safe.py":
                continue
            for match in CSV_WRITERS.finditer(path.read_text(encoding="utf-8")):
                others.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert others == []
