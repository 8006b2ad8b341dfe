-- name: session_after_randomization
-- severity: error
-- column: session_date
-- domains: procedures
-- message: {value} is before the subject's randomization on {randomization_date}
SELECT i._line AS line, i.session_date AS value, r.randomization_date
FROM incoming AS i
JOIN randomization AS r ON r.subject_id = i.subject_id
WHERE i.session_date < r.randomization_date
