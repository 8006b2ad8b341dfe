-- name: history
-- One query's messages in the order they were written, with the file name of any upload cited.
SELECT m.seq, m.written_at, m.user_name, m.action, m.text, m.upload_id, u.file_name
FROM query_messages AS m
LEFT JOIN uploads AS u USING (upload_id)
WHERE m.query_id = $query_id
ORDER BY m.seq
