-- name: session_after_discontinuation
-- severity: warning
-- column: session_date
-- domains: procedures
-- message: {value} is after the subject left the study on {status_date}
SELECT i._line AS line, i.session_date AS value, d.status_date
FROM incoming AS i
JOIN disposition AS d ON d.subject_id = i.subject_id
WHERE d.status = 'DISCONTINUED' AND i.session_date > d.status_date
