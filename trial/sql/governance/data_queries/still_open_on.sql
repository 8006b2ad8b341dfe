-- name: still_open_on
-- A query on this data point that is not closed yet, if any (the lowest number).
SELECT min(query_id)
FROM data_queries
WHERE subject_id = $subject AND table_name = $table AND record_key = $record_key AND column_name = $column
  AND status <> 'CLOSED'
