-- name: insert_message
-- The next message of a query, numbered after the ones it already has; returns its number.
INSERT INTO query_messages (query_id, seq, written_at, user_name, action, text, upload_id)
SELECT $query_id, coalesce(max(seq), 0) + 1, $at, $user, $action, $text, $upload_id
FROM query_messages
WHERE query_id = $query_id
RETURNING seq
