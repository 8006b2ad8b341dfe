-- name: subject_eligible
-- severity: error
-- column: subject_id
-- domains: randomization
-- message: {value} is a screen failure (eligible = N in subjects) and cannot be randomized
SELECT i._line AS line, i.subject_id AS value
FROM incoming AS i
JOIN subjects AS s ON s.subject_id = i.subject_id
WHERE s.eligible <> 'Y'
