-- name: screened_before_consent
-- severity: warning
-- column: screening_date
-- domains: subjects
-- message: {value} is before the subject's informed consent on {consent_date}: no study procedure may come before consent
SELECT i._line AS line, i.screening_date AS value, i.consent_date
FROM incoming AS i
WHERE i.screening_date < i.consent_date
