-- name: pt_coded
-- severity: warning
-- column: pt
-- domains: adverse_events
-- message: {value} is not a preferred term of the study's coding list; the event will need coding
SELECT i._line AS line, i.pt AS value
FROM incoming AS i
WHERE i.pt IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM study_coding AS c WHERE lower(c.pt) = lower(i.pt))
