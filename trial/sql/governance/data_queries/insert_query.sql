-- name: insert_query
-- A new query, OPEN; returns its number.
INSERT INTO data_queries (site_id, subject_id, table_name, record_key, column_name, value_when_opened, status,
                          opened_by, opened_at)
VALUES ($site, $subject, $table, $record_key, $column, $value, 'OPEN', $user, $at)
RETURNING query_id
