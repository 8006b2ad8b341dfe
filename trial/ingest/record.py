"""Writing what an upload did: its log entry and findings (each with the site and subject of its
line), its raw bytes in the archive, and its audit rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from trial.ingest.changes import all_changes
from trial.ingest.result import REJECTED, UploadResult
from trial.store import archive, audit, seals

FILE_ROWS = "file_rows"  # every typed row of the file; INCOMING holds those within the uploader's scope


def log_upload(cur, result: UploadResult, packed: bytes, *, user: str, reason: str | None, rows: bool) -> int:
    """Log the upload and its findings, each with the site and subject of its line (``rows``: the
    file's rows are registered as :data:`FILE_ROWS`), and archive the bytes."""
    # after every upload the study holds: on PostgreSQL, those the uploader cannot read are counted in
    # meta's uploads_before (see trial.store.server_write)
    upload_id = cur.execute("SELECT greatest(coalesce(max(upload_id), 0), (SELECT coalesce(max(CAST(value AS BIGINT)), 0) "
                            "FROM meta WHERE key = 'uploads_before')) + 1 FROM uploads").fetchone()[0]
    archive.store_packed(cur, result.sha256, result.size_bytes, packed)
    cur.execute(
        """
        INSERT INTO uploads VALUES ($id, $file, $sha, $size, $domain, $user, $at, $status, $reason,
                                    $rows, $inserted, $corrected, $unchanged, $errors, $warnings)
        """,
        {
            "id": upload_id,
            "file": result.file_name,
            "sha": result.sha256,
            "size": result.size_bytes,
            "domain": result.domain,
            "user": user,
            "at": dt.datetime.now(dt.UTC),
            "status": result.status,
            "reason": reason,
            "rows": result.rows_in_file,
            "inserted": result.inserted,
            "corrected": result.corrected,
            "unchanged": result.unchanged,
            "errors": result.error_count,
            "warnings": result.warning_count,
        },
    )
    seals.added(cur, "uploads", "t.upload_id = $id", {"id": upload_id})
    if result.findings:
        table = pa.table(
            {
                "upload_id": pa.array([upload_id] * len(result.findings), pa.int64()),
                "line": pa.array([f.line for f in result.findings], pa.int64()),
                "column_name": pa.array([f.column for f in result.findings], pa.string()),
                "value": pa.array([f.value for f in result.findings], pa.string()),
                "rule": pa.array([f.rule for f in result.findings], pa.string()),
                "severity": pa.array([str(f.severity) for f in result.findings], pa.string()),
                "message": pa.array([f.message for f in result.findings], pa.string()),
            }
        )
        cur.register("new_findings", table)
        of_line = (f"LEFT JOIN (SELECT _line, site_id, subject_id FROM {FILE_ROWS}) AS r ON r._line = f.line" if rows
                   else "LEFT JOIN (SELECT NULL AS site_id, NULL AS subject_id) AS r ON FALSE")
        cur.execute(f"""INSERT INTO findings (upload_id, line, column_name, value, rule, severity, message, site_id, subject_id)
                        SELECT f.*, r.site_id, r.subject_id FROM new_findings AS f {of_line}""")
        cur.unregister("new_findings")
        seals.added(cur, "findings", "t.upload_id = $id", {"id": upload_id})
    return int(upload_id)


def audit_upload(cur, result: UploadResult, *, user: str, reason: str | None) -> None:
    """The upload's audit rows: an INSERT row for the new rows and a CORRECT row for every corrected
    cell (all of them, not only those listed in the result: they are read in batches from the plan on
    ``cur``), or (a rejected file, or one that changed nothing) one UPLOAD row, so that every upload's
    log entry is sealed under the chain."""
    moment = dt.datetime.now(dt.UTC)
    if result.inserted:
        audit.record(cur, [audit.Event(user, "INSERT", result.domain, new_value=f"{result.inserted} rows from {result.file_name}",
                                       reason=reason, upload_id=result.upload_id)], at=moment)
    if result.corrected:
        for batch in all_changes(cur):
            audit.record(cur, [audit.Event(user, "CORRECT", result.domain, c.key, c.column, c.old, c.new, reason, result.upload_id)
                               for c in batch], at=moment)
    if not (result.inserted or result.corrected):
        outcome = f"{result.error_count:,} error(s)" if result.status == REJECTED else "nothing changed"
        audit.record(cur, [audit.Event(user, "UPLOAD", result.domain, new_value=f"{result.file_name} {result.status}: {outcome}",
                                       reason=reason, upload_id=result.upload_id)], at=moment)

