-- name: audit_trail
-- The audit trail, oldest first, optionally for one table, one subject or one upload.
SELECT audit_id, changed_at, user_name, action, table_name, record_key, column_name,
       old_value, new_value, reason, upload_id
FROM audit_trail
WHERE ($table IS NULL OR table_name = $table)
  AND ($subject IS NULL OR split_part(record_key, ' / ', 1) = $subject)
  AND ($upload_id IS NULL OR upload_id = $upload_id)
ORDER BY audit_id
