"""The fast reader (pyarrow) and the exact reader (csv module) give the same cells and lines."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from trial.ingest.csvfile import _read_exactly, read_cells

CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    columns=st.integers(1, 5),
    data=st.data(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_fast_and_exact_readers_agree(columns, data, newline):
    rows = data.draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), max_size=12))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow([f"col{i}" for i in range(columns)])
    writer.writerows(rows)
    raw = out.getvalue().encode()

    chosen = read_cells(raw)
    exact = _read_exactly(raw)
    assert chosen.header == exact.header
    assert chosen.findings == exact.findings
    assert chosen.cells.to_pydict() == exact.cells.to_pydict()
    # Every kept record's line is where it starts in the file, counting lines as an editor does.
    physical = io.StringIO(raw.decode(), newline="").readlines()
    for line in exact.cells.column("_line").to_pylist():
        assert physical[line - 1].strip("\r\n") != ""
