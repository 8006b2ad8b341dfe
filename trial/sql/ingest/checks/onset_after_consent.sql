-- name: onset_after_consent
-- severity: error
-- column: onset_date
-- domains: adverse_events
-- message: {value} is before the subject's consent on {consent_date}; events before consent are medical history
SELECT i._line AS line, i.onset_date AS value, s.consent_date
FROM incoming AS i
JOIN subjects AS s ON s.subject_id = i.subject_id
WHERE i.onset_date < s.consent_date
