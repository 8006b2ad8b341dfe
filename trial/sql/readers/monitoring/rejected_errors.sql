-- name: rejected_errors
-- The errors of rejected uploads counted by rule, each distinct error once: the same file (domain,
-- or file name when the domain could not be told), line, column, value, rule and message rejected
-- again by a re-upload counts once. Rejected rows never reach the study tables, so no site is known.
-- A 'not_listed' finding stands for as many errors as its value says (those past the caps).
WITH distinct_errors AS (
    SELECT coalesce(u.domain, u.file_name) AS source, f.line, f.column_name, f.value, f.rule, f.message,
           min(f.upload_id) AS first_upload, max(u.uploaded_at) AS last_seen
    FROM findings AS f
    JOIN uploads AS u USING (upload_id)
    WHERE u.status = 'rejected' AND f.severity = 'error'
    GROUP BY ALL
)
SELECT rule, CAST(sum(CASE WHEN rule = 'not_listed' THEN CAST(value AS BIGINT) ELSE 1 END) AS BIGINT) AS errors, count(DISTINCT source) AS files, arg_min(message, first_upload) AS example,
       CAST(timezone('UTC', max(last_seen)) AS TIMESTAMP) AS last_seen_utc
FROM distinct_errors
GROUP BY rule
ORDER BY errors DESC, rule
