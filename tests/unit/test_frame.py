"""``trial.store.reading.frame``: a result as a DataFrame by way of Arrow, with the columns DuckDB's
own ``.df()`` makes (the readers and the ARD were written against those), and a query after a
``fetchone`` left open on the same cursor."""

from __future__ import annotations

import duckdb
import pandas as pd

from trial.store.reading import frame

KINDS = """
SELECT * FROM (VALUES
    (1, 'a', TRUE, 1.5::DECIMAL(5, 2), DATE '2024-01-01', TIMESTAMPTZ '2024-01-01 10:00+00', NULL::VARCHAR, 7::HUGEINT, 2.5::DOUBLE),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(whole, text, flag, exact, day, moment, nothing, huge, real)
"""


def test_every_kind_of_column_comes_out_as_duckdb_makes_it():
    con = duckdb.connect()
    ours, theirs = frame(con, KINDS), con.execute(KINDS).df()
    assert list(ours.dtypes.astype(str)) == list(theirs.dtypes.astype(str))
    pd.testing.assert_frame_equal(ours, theirs)
    assert ours.nothing.tolist() == [None, None]  # not "nan" in an empty cell
    assert str(ours.whole.dtype) == "Int32" and str(ours.flag.dtype) == "boolean"


def test_columns_without_a_null_keep_numpy_types_and_an_empty_result_keeps_its_columns():
    con = duckdb.connect()
    query = "SELECT range AS n, range % 2 = 0 AS even, 'x' || range AS label FROM range(4)"
    ours = frame(con, query)
    pd.testing.assert_frame_equal(ours, con.execute(query).df())
    empty = frame(con, query + " WHERE false")
    assert list(empty.columns) == ["n", "even", "label"] and empty.empty


def test_parameters_are_bound():
    con = duckdb.connect()
    assert frame(con, "SELECT $a + 1 AS x", {"a": 41}).x.tolist() == [42]


def test_a_result_left_open_on_the_cursor_does_not_stop_the_next_query():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(100)")
    assert con.execute("SELECT n FROM t ORDER BY n").fetchone() == (0,)  # the rest of that result is still open
    assert frame(con, "SELECT count(*) AS n FROM t").n.tolist() == [100]
