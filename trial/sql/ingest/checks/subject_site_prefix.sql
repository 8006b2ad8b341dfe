-- name: subject_site_prefix
-- severity: warning
-- column: subject_id
-- domains: subjects
-- message: {value} does not start with its site {site_id}- (the convention is S01-001)
SELECT i._line AS line, i.subject_id AS value, i.site_id
FROM incoming AS i
WHERE i.subject_id IS NOT NULL AND i.site_id IS NOT NULL
  AND NOT starts_with(i.subject_id, i.site_id || '-')
