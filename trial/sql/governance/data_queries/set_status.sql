-- name: set_status
-- A query's status after a message (the message itself is kept in query_messages).
UPDATE data_queries SET status = $status WHERE query_id = $query_id
