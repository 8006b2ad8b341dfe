-- name: adverse_events
-- One subject's adverse events with study days, duration and the treatment-emergent flag
-- (onset on or after randomization, as in ADAE).
SELECT
    e.ae_seq, e.term, e.pt, e.soc, e.onset_date, e.onset_date - r.randomization_date AS onset_day,
    e.resolution_date, e.resolution_date - e.onset_date + 1 AS duration_days,
    e.severity, e.serious, e.relationship, e.suspected_cause, e.action_taken, e.outcome,
    r.randomization_date IS NOT NULL AND e.onset_date >= r.randomization_date AS teae
FROM adverse_events AS e
LEFT JOIN randomization AS r USING (subject_id)
WHERE e.subject_id = $subject
ORDER BY e.ae_seq
