-- name: subject_randomized
-- severity: error
-- column: subject_id
-- domains: hair_counts pull_tests global_assessments procedures disposition
-- message: {value} has not been randomized; load the randomization file first
SELECT i._line AS line, i.subject_id AS value
FROM incoming AS i
WHERE i.subject_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM subjects AS s WHERE s.subject_id = i.subject_id)
  AND NOT EXISTS (SELECT 1 FROM randomization AS r WHERE r.subject_id = i.subject_id)
