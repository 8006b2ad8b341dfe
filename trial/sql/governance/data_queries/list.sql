-- name: list
-- Every query, optionally of one status, site or subject, oldest first: the data point, the value
-- when it was opened, the question, and the latest message (who, when, what) with the message count.
WITH messages AS (
    SELECT query_id,
           count(*) AS messages,
           max_by(action, seq) AS last_action,
           max_by(user_name, seq) AS last_by,
           max(written_at) AS last_at,
           max_by(text, seq) AS last_text,
           max_by(upload_id, seq) FILTER (WHERE upload_id IS NOT NULL) AS cited_upload
    FROM query_messages
    GROUP BY query_id
)
SELECT q.query_id, q.status, q.site_id, q.subject_id, q.table_name, q.record_key, q.column_name,
       q.value_when_opened, o.text AS question, q.opened_by, q.opened_at,
       m.last_action, m.last_by, m.last_at, m.last_text, m.cited_upload, m.messages
FROM data_queries AS q
JOIN query_messages AS o ON o.query_id = q.query_id AND o.seq = 1
JOIN messages AS m ON m.query_id = q.query_id
WHERE ($status IS NULL OR q.status = $status)
  AND ($site IS NULL OR q.site_id = $site)
  AND ($subject IS NULL OR q.subject_id = $subject)
ORDER BY q.query_id
