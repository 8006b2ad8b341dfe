"""Arrow record batches as PostgreSQL's binary COPY format, for the columns an upload writes.

Hand-written because nothing installed does it on the connection that writes: psycopg's binary
COPY takes rows one at a time in Python (``write_row``, about 6 µs a row), and the ADBC driver
writes on a connection of its own, outside the write's transaction. Here every column is encoded
at once with numpy and pyarrow (a length word and the value, big-endian), and the columns of a row
are joined by pyarrow: about a third of the time of writing the same rows as CSV, and PostgreSQL
parses no text. The format: https://www.postgresql.org/docs/current/sql-copy.html (Binary Format).

Only the types the tables it stages use are encoded (text, bigint, double precision, date; a test
checks every staged table's columns): another type is refused with a sentence naming it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")  # no flags, no extension
TRAILER = (-1).to_bytes(2, "big", signed=True)
_NULL = pa.scalar((-1).to_bytes(4, "big", signed=True), pa.binary())
_DAYS_1970_TO_2000 = 10_957  # PostgreSQL counts days from 2000-01-01
_FIXED = {"bigint": (pa.int64(), ">i8"), "double precision": (pa.float64(), ">f8"), "date": (pa.int32(), ">i4")}
ENCODED = frozenset({"text", *_FIXED})


def _fixed(column: pa.Array, kind: str) -> pa.Array:
    arrow_type, layout = _FIXED[kind]
    if kind == "date":
        values = pc.subtract(column.cast(pa.date32()).cast(pa.int32()), _DAYS_1970_TO_2000)
    else:
        values = column.cast(arrow_type)
    width = np.dtype(layout).itemsize
    cells = np.empty(len(column), dtype=[("length", ">i4"), ("value", layout)])
    cells["length"] = width
    cells["value"] = values.fill_null(0).to_numpy(zero_copy_only=False)
    fields = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 + width), len(column), [None, pa.py_buffer(cells.tobytes())])
    fields = fields.cast(pa.binary())
    return fields if column.null_count == 0 else pc.if_else(column.is_valid(), fields, _NULL)


def _text(column: pa.Array) -> pa.Array:
    values = column.cast(pa.string()).cast(pa.binary())
    lengths = pc.binary_length(values).fill_null(-1).to_numpy(zero_copy_only=False).astype(">i4")
    words = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4), len(column), [None, pa.py_buffer(lengths.tobytes())])
    return pc.binary_join_element_wise(words.cast(pa.binary()), values.fill_null(b""), b"")


def rows(batch: pa.RecordBatch, kinds: list[str]) -> memoryview:
    """The rows of ``batch`` (its columns in the table's order, ``kinds`` their PostgreSQL types) in
    the binary format, without the header and trailer."""
    unknown = sorted(set(kinds) - ENCODED)
    if unknown:
        raise RuntimeError(f"no binary COPY encoding for {', '.join(unknown)}: add it to trial/store/copy_binary.py")
    fields = [_text(column) if kind == "text" else _fixed(column, kind) for column, kind in zip(batch.columns, kinds, strict=True)]
    count = pa.scalar(len(kinds).to_bytes(2, "big"), pa.binary())
    joined = pc.binary_join_element_wise(count, *fields, b"")
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset : joined.offset + len(joined) + 1]
    return memoryview(joined.buffers()[2] or b"")[offsets[0] : offsets[-1]]
