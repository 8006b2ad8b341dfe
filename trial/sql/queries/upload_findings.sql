-- name: upload_findings
-- The findings of one upload in file order.
SELECT line, column_name, value, rule, severity, message
FROM findings
WHERE upload_id = $upload_id
ORDER BY line NULLS FIRST, column_name, rule
