"""The XPT writer's IBM floating point: known encodings, and every double read back exactly by
pandas' own IBM decoder (an implementation independent of ours)."""

from __future__ import annotations

import numpy as np
from pandas.io.sas.sas_xport import _parse_float_vec

from trial.cdisc.xpt import MISSING, ibm_float


def test_known_encodings():
    values = np.array([1.0, -118.625, 0.0, np.nan, 16.0, 0.5])
    assert ibm_float(np.array([np.nan])).astype(">u8").tobytes() == b".\0\0\0\0\0\0\0"  # SAS missing
    assert [hex(int(v)) for v in ibm_float(values)] == [
        "0x4110000000000000", "0xc276a00000000000", "0x0", hex(int(MISSING)), "0x4210000000000000", "0x4080000000000000"]


def test_every_double_of_a_wide_sample_reads_back_exactly_with_pandas_decoder():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 1, 2000), rng.normal(0, 1e6, 2000) * 10.0 ** rng.integers(-30, 30, 2000),
                             np.arange(-1000, 1000, dtype=float), [1e-60, 1e70, -2.5, 91.4, 22.2, 12.52, 1.89]])
    encoded = ibm_float(values).astype(">u8").view("S8")
    decoded = _parse_float_vec(encoded)
    zero = values == 0  # pandas' decoder reads IBM zero (all bits 0) as 5.4e-79, the fraction's implied lowest value
    assert np.array_equal(decoded[~zero], values[~zero]) and np.allclose(decoded[zero], 0, atol=1e-70)
