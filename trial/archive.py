"""The raw bytes of every upload, kept once per distinct content, compressed with zstd."""

from __future__ import annotations

import pyarrow as pa

from trial.errors import NotFound

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


def raw_bytes(store, upload_id: int) -> tuple[str, bytes]:
    """The file name and the exact bytes of an upload."""
    cur = store.cursor()
    try:
        row = cur.execute(
            """
            SELECT u.file_name, f.codec, f.size_bytes, f.content
            FROM uploads AS u JOIN upload_files AS f USING (sha256) WHERE u.upload_id = $id
            """,
            {"id": upload_id},
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        raise NotFound(f"there is no upload {upload_id}; `trial uploads` lists them")
    name, codec, size, content = row
    return name, pa.decompress(content, decompressed_size=size, codec=codec, asbytes=True)
