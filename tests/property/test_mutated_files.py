"""Random mutations of valid files: every load succeeds fully or changes nothing, and never raises."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    SUBJECTS_HEADER,
    SUBJECTS_ROWS,
    csv_bytes,
    load,
    new_store,
    seed,
    snapshot,
)

VALID = {
    "hair_counts": csv_bytes(HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS),
    "subjects": csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS).replace(b"S01-00", b"S01-10"),
}
NASTY = st.sampled_from(
    ["", " ", "-1", "0", "2001", "1e3", "12.5", "1,5", "#N/A", "NaN", "null", '"', '""', ",", "\n", "\r\n",
     "2024-02-30", "03/04/2024", "9999-12-31", "S09", "s01-001", "BASELINE", "WEEK_99", "é", "\x00", "💇", "x" * 300]
)


@st.composite
def mutated(draw):
    domain = draw(st.sampled_from(sorted(VALID)))
    lines = VALID[domain].decode().splitlines()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell_text", "drop_line", "repeat_line", "header", "bytes", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(",")
        j = draw(st.integers(0, len(cells) - 1))
        if kind == "cell":
            cells[j] = draw(NASTY)
            lines[i] = ",".join(cells)
        elif kind == "cell_text":
            cells[j] = draw(st.text(max_size=12))
            lines[i] = ",".join(cells)
        elif kind == "drop_line" and len(lines) > 1:
            del lines[i]
        elif kind == "repeat_line":
            lines.insert(i, lines[i])
        elif kind == "header":
            header = lines[0].split(",")
            header[j % len(header)] = draw(st.sampled_from(["", "HAIR_COUNT", "extra", header[0], " visit "]))
            lines[0] = ",".join(header)
        elif kind == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    data = "\n".join(lines).encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=3)) + data[at:]
    return domain, draw(st.sampled_from([domain, None])), data


def test_every_load_is_all_or_nothing():
    with tempfile.TemporaryDirectory() as folder:
        store = new_store(Path(folder) / "study.duckdb")
        seed(store)

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(mutated())
        def check(case):
            _, domain, data = case
            before = snapshot(store)
            result = load(store, data, domain, reason="property test")  # must not raise
            after = snapshot(store)
            if result.status in ("rejected", "already loaded"):
                assert after == before
                assert result.status == "already loaded" or result.errors
            else:
                assert result.status == "loaded" and not result.errors
                table = result.domain
                assert len(after[table]) == len(before[table]) + result.inserted
                assert result.inserted + result.corrected + result.unchanged == result.rows_in_file
                stamped = store.scalar(f"SELECT count(*) FROM {table} WHERE upload_id = $id", {"id": result.upload_id})
                assert stamped == result.inserted + result.corrected
                assert all(after[name] == before[name] for name in after if name != table)
            for finding in result.findings:
                assert finding.message and (finding.line is None or finding.line >= 1)

        try:
            check()
        finally:
            store.close()
