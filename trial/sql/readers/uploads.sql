-- name: uploads
-- The upload log, newest first.
SELECT upload_id, uploaded_at, file_name, domain, user_name, status,
       rows_in_file, rows_inserted, rows_corrected, rows_unchanged, errors, warnings, reason, sha256, size_bytes
FROM uploads
ORDER BY upload_id DESC
LIMIT $limit
