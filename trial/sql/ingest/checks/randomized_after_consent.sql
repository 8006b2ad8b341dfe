-- name: randomized_after_consent
-- severity: error
-- column: randomization_date
-- domains: randomization
-- message: {value} is before the subject's consent date {consent_date}
SELECT i._line AS line, i.randomization_date AS value, s.consent_date
FROM incoming AS i
JOIN subjects AS s ON s.subject_id = i.subject_id
WHERE i.randomization_date < s.consent_date
