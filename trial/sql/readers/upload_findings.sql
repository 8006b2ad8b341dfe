-- name: upload_findings
-- The findings of one upload in file order; the counts of those not listed last.
SELECT line, column_name, value, rule, severity, message
FROM findings
WHERE upload_id = $upload_id
ORDER BY rule = 'not_listed', line NULLS FIRST, column_name, rule
