-- name: status_after_randomization
-- severity: error
-- column: status_date
-- domains: disposition
-- message: {value} is before the subject's randomization on {randomization_date}
SELECT i._line AS line, i.status_date AS value, r.randomization_date
FROM incoming AS i
JOIN randomization AS r ON r.subject_id = i.subject_id
WHERE i.status_date < r.randomization_date
