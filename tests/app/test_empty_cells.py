"""An empty cell shows empty: no page's table prints "None" (Streamlit's default for a missing value)."""

from __future__ import annotations

from dashboards.catalogue import CATALOGUE


def test_every_table_on_every_page_shows_a_missing_value_as_an_empty_cell(loaded_app):
    frames, with_missing = 0, 0
    for spec in CATALOGUE:
        at = loaded_app(spec.path)
        for shown in at.dataframe:
            frames += 1
            with_missing += bool(shown.value.isna().to_numpy().any())
            assert shown.proto.HasField("placeholder") and shown.proto.placeholder == "", (spec.path, list(shown.value.columns))
    assert frames >= 10 and with_missing >= 1, (frames, with_missing)  # the pages hold tables, some with gaps
