-- name: assessment_after_discontinuation
-- severity: warning
-- column: assessment_date
-- domains: hair_counts pull_tests global_assessments
-- message: {value} is after the subject left the study on {status_date}
SELECT i._line AS line, i.assessment_date AS value, d.status_date
FROM incoming AS i
JOIN disposition AS d ON d.subject_id = i.subject_id
WHERE d.status = 'DISCONTINUED' AND i.assessment_date > d.status_date
