"""SAS transport files, version 5 (what the FDA takes): names of at most 8 characters, labels of
at most 40, text lengths fitted to the data, dates as SAS dates (DATE9.). Version 5 carries ASCII
only: a value that is not is refused with the record and variable named, never written garbled.

Hand-written, to SAS's published layout (technical support note TS-140): a library header, a member
header, one 140-byte NAMESTR per variable, then the observations as fixed-width records, every
part padded to 80-byte records. pyreadstat writes the same format but walks every value in Python
(7.5 s of a 10,000-subject SDTM export); here each column is converted whole with numpy (numbers to
IBM floating point, text to blank-padded bytes). The tests read every file back with pyreadstat
and with pandas' own reader, two independent implementations."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pandas as pd

from trial.cdisc.model import DATE, TEXT, Dataset
from trial.errors import TrialError

RECORD = 80
NAMESTR = 140
SAS_EPOCH = np.datetime64("1960-01-01", "D")
MISSING = np.uint64(0x2E << 56)  # SAS's "." missing value: 0x2E, then zeros


class NotTransportable(TrialError):
    """A value SAS XPT v5 cannot carry."""


def write_xpt(dataset: Dataset, folder: Path) -> Path:
    """``folder/<name>.xpt`` (lower-case, as submissions name them)."""
    _check_ascii(dataset)
    path = folder / f"{dataset.name.lower()}.xpt"
    widths = [dataset.length(v) if v.kind == TEXT else 8 for v in dataset.variables]
    stamp = dt.datetime.now().strftime("%d%b%y:%H:%M:%S").upper()
    with path.open("wb") as out:
        out.write(_headers(dataset, stamp))
        out.write(_padded(b"".join(_namestr(i, v, w, sum(widths[:i])) for i, (v, w) in enumerate(zip(dataset.variables, widths,
                                                                                                      strict=True))), b" "))
        out.write(_record("HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000"))
        out.write(_padded(_observations(dataset, widths), b" "))
    return path


def _record(text: str) -> bytes:
    return text.ljust(RECORD).encode("ascii")


def _padded(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % RECORD)


def _headers(dataset: Dataset, stamp: str) -> bytes:
    return b"".join([
        _record("HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000"),
        _record(f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{'9.4':<8}{'Linux':<8}{'':<24}{stamp}"),
        _record(stamp),
        _record(f"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000{NAMESTR}"),
        _record("HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000"),
        _record(f"{'SAS':<8}{dataset.name:<8}{'SASDATA':<8}{'9.4':<8}{'Linux':<8}{'':<24}{stamp}"),
        _record(f"{stamp}{'':<16}{dataset.label:<40}{'':<8}"),
        _record(f"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{len(dataset.variables):04d}00000000000000000000"),
    ])


def _namestr(index: int, variable, width: int, position: int) -> bytes:
    text = variable.kind == TEXT
    form, form_length = ("DATE", 9) if variable.kind == DATE else ("", 0)
    def blank(text: str, size: int) -> bytes:  # the name, label and format fields are blank-padded
        return text.ljust(size).encode("ascii")

    return struct.pack(
        ">hhhh8s40s8shhh2s8shhi52s",
        2 if text else 1, 0, width, index + 1, blank(variable.name, 8), blank(variable.label, 40),
        blank(form, 8), form_length, 0, 0, b"", blank("", 8), 0, 0, position, b"",
    )


def _observations(dataset: Dataset, widths: list[int]) -> bytes:
    rows = len(dataset.rows)
    columns = []
    for variable, width in zip(dataset.variables, widths, strict=True):
        values = dataset.rows[variable.name]
        if variable.kind == TEXT:
            codes, uniques = dataset.distinct(variable.name)  # each distinct value encoded once (ASCII, checked)
            text = np.array([str(u).encode("ascii") for u in uniques] + [b""], dtype=f"S{width}")[codes]
            cells = text.view(np.uint8).reshape(rows, width).copy()
            cells[cells == 0] = 32  # blank-padded, as SAS pads text
        else:
            numbers = _sas_days(values) if variable.kind == DATE else values.to_numpy(dtype=float, na_value=np.nan)
            cells = ibm_float(numbers).astype(">u8").view(np.uint8).reshape(rows, 8)
        columns.append(cells)
    return np.hstack(columns).tobytes() if columns and rows else b""


def _sas_days(values: pd.Series) -> np.ndarray:
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, (days - SAS_EPOCH).astype(np.int64).astype(float))


def ibm_float(x: np.ndarray) -> np.ndarray:
    """IEEE doubles as IBM System/360 doubles (sign, excess-64 base-16 exponent, 56-bit fraction),
    as unsigned 64-bit integers; NaN as SAS's missing value. Exact: 53 bits fit in 56."""
    x = np.asarray(x, dtype=np.float64)
    bits = x.view(np.uint64)
    sign = bits >> np.uint64(63)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023  # x = 1.f × 2^exponent
    mantissa = (bits & np.uint64((1 << 52) - 1)) | np.uint64(1 << 52)  # 53 bits, the leading one made explicit
    hex_exponent = -((-(exponent + 1)) // 4)  # ceil((exponent + 1) / 4): x = 0.F × 16^hex_exponent
    shift = (3 + exponent + 1 - 4 * hex_exponent).astype(np.uint64)  # 0 … 3: the fraction's top hex digit is not 0
    fraction = mantissa << shift
    if np.any(np.isfinite(x) & (x != 0) & ((hex_exponent + 64 < 0) | (hex_exponent + 64 > 127))):
        raise NotTransportable("a number is beyond the range of SAS XPT v5's IBM floating point (16^-65 to 16^63)")
    ibm = (sign << np.uint64(63)) | (np.clip(hex_exponent + 64, 0, 127).astype(np.uint64) << np.uint64(56)) | fraction
    ibm = np.where(x == 0, np.uint64(0), ibm)
    return np.where(np.isnan(x), MISSING, ibm).astype(np.uint64)


def _check_ascii(dataset: Dataset) -> None:
    for variable in dataset.variables:
        if variable.kind != TEXT:
            continue
        if dataset.all_ascii(variable.name):
            continue
        values = dataset.rows[variable.name]
        bad = values.notna() & ~values.map(lambda v: v is None or str(v).isascii())
        at = bad.idxmax()
        record = ", ".join(f"{k} {dataset.rows.at[at, k]}" for k in dataset.keys if k != "STUDYID")
        raise NotTransportable(
            f"{dataset.name}.{variable.name} of the record {record} holds '{values.at[at]}', which is not ASCII: SAS XPT v5 "
            "carries ASCII only. Correct the value (trial load with a correction), or export Dataset-JSON alone (--format json).")
