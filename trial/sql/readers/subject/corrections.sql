-- name: corrections
-- Every correction of one subject's records in the audit trail (old and new value, who, when, why),
-- with the upload's file name; oldest first.
SELECT a.audit_id, a.changed_at, a.user_name, a.table_name, a.record_key, a.column_name, a.old_value, a.new_value,
       a.reason, a.upload_id, u.file_name
FROM audit_trail AS a
LEFT JOIN uploads AS u USING (upload_id)
WHERE a.action = 'CORRECT' AND split_part(a.record_key, ' / ', 1) = $subject
ORDER BY a.audit_id
