-- name: query
-- One query as it stands (no row: there is no such query).
SELECT query_id, site_id, subject_id, table_name, record_key, column_name, value_when_opened, status, opened_by
FROM data_queries
WHERE query_id = $query_id
