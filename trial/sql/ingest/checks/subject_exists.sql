-- name: subject_exists
-- severity: error
-- column: subject_id
-- domains: randomization hair_counts pull_tests global_assessments adverse_events procedures disposition
-- message: {value} is not a subject of this study; load the subject's screening row (subjects file) first
SELECT i._line AS line, i.subject_id AS value
FROM incoming AS i
WHERE i.subject_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM subjects AS s WHERE s.subject_id = i.subject_id)
