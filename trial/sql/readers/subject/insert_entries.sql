-- name: insert_entries
-- The audit trail's INSERT entries (one per upload and table: "N rows from file.csv") with the
-- upload's file name, for the tables that hold the subject's records.
SELECT a.audit_id, a.changed_at, a.user_name, a.table_name, a.new_value, a.reason, a.upload_id, u.file_name
FROM audit_trail AS a
LEFT JOIN uploads AS u USING (upload_id)
WHERE a.action = 'INSERT' AND list_contains($tables, a.table_name)
ORDER BY a.audit_id
