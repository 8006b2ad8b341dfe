"""The risk difference's 95 % CI against the published values: Newcombe (1998), Statistics in
Medicine 17:873-890, Table II, method 10 (the hybrid score interval), rounded to four decimals."""

import pytest

from trial.analysis.stats import s_risk_difference

NEWCOMBE_TABLE_II = [  # events, n (test); events, n (control); lower, upper of the difference
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
]


@pytest.mark.parametrize(("a", "n", "b", "m", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_the_interval_is_newcombes_method_10(a, n, b, m, lower, upper):
    found = s_risk_difference(a, n, b, m)
    assert found["diff"] == pytest.approx(100 * (a / n - b / m))
    assert round(found["ci_lower"] / 100, 4) == lower and round(found["ci_upper"] / 100, 4) == upper
