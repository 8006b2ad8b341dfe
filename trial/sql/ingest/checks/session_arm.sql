-- name: session_arm
-- severity: warning
-- column: subject_id
-- domains: procedures
-- message: {value} is in arm {arm}, which has no microneedling: a protocol deviation
SELECT i._line AS line, i.subject_id AS value, r.arm
FROM incoming AS i
JOIN randomization AS r ON r.subject_id = i.subject_id
JOIN study_arms AS a ON a.arm = r.arm
WHERE NOT a.microneedling
