-- name: recent_uploads
-- The latest $limit uploads, newest first, with their time in UTC (without a time zone).
SELECT upload_id, file_name, coalesce(domain, '') AS domain, status, rows_in_file, rows_inserted,
       rows_corrected, errors, warnings, user_name,
       CAST(timezone('UTC', uploaded_at) AS TIMESTAMP) AS uploaded_at_utc
FROM uploads
ORDER BY upload_id DESC
LIMIT $limit
