"""The raw bytes of every upload, kept once per distinct content, compressed with zstd.

Bytes are only ever given back after they hash to the SHA-256 the upload log records for them
(:func:`unpacked`), so a file changed in the archive is refused with a sentence, never served.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from trial.errors import ArchiveTampered, NotFound
from trial.store import seals

CODEC = "zstd"


def pack(data: bytes) -> bytes:
    """The archived form of ``data`` (compression releases the GIL: callers may run it on a thread)."""
    return pa.compress(data, codec=CODEC, asbytes=True)


def store_packed(cur, sha256: str, size: int, packed: bytes) -> None:
    """Archive packed bytes under their SHA-256 unless the same content is already there."""
    if cur.execute("SELECT 1 FROM upload_files WHERE sha256 = $sha", {"sha": sha256}).fetchone():
        return
    cur.execute(
        "INSERT INTO upload_files VALUES ($sha, $codec, $size, $content)",
        {"sha": sha256, "codec": CODEC, "size": size, "content": packed},
    )
    seals.added(cur, "upload_files", "t.sha256 = $sha", {"sha": sha256})


def unpacked(sha256: str, codec: str | None, size: int | None, content: bytes | None) -> bytes:
    """The archived bytes, once they hash to ``sha256``; :class:`ArchiveTampered` with the reason if not."""
    if content is None:
        raise ArchiveTampered("its archived bytes are missing")
    try:
        data = pa.decompress(content, decompressed_size=size, codec=codec, asbytes=True)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        raise ArchiveTampered("its archived bytes cannot be read (the archive was changed)") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ArchiveTampered(f"its archived bytes do not hash to the SHA-256 the upload log records ({sha256[:12]}…)")
    return data


def raw_bytes(store, upload_id: int) -> tuple[str, bytes]:
    """The file name and the exact bytes of an upload, checked against the recorded SHA-256."""
    cur = store.cursor()
    try:
        row = cur.execute(
            """
            SELECT u.file_name, u.sha256, f.codec, f.size_bytes, f.content
            FROM uploads AS u LEFT JOIN upload_files AS f USING (sha256) WHERE u.upload_id = $id
            """,
            {"id": upload_id},
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        raise NotFound(f"there is no upload {upload_id}; `trial uploads` lists them")
    name, sha256, codec, size, content = row
    try:
        return name, unpacked(sha256, codec, size, content)
    except ArchiveTampered as exc:
        raise ArchiveTampered(f"Upload {upload_id} ({name}) is not given out: {exc}; "
                              "`trial audit --verify` lists what else differs.") from None
