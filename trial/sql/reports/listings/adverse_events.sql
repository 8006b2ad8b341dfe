-- name: adverse_events
-- Listing 16.2.7: every adverse event, by site and subject, with study days from randomization.
SELECT
    e.site_id, e.subject_id, coalesce(a.arm, '(not randomized)') AS arm, e.ae_seq,
    e.term, e.pt, e.soc,
    strftime(e.onset_date, '%Y-%m-%d') || CASE WHEN a.randdt IS NOT NULL THEN ' (' || (e.onset_date - a.randdt) || ')' ELSE '' END AS onset,
    coalesce(strftime(e.resolution_date, '%Y-%m-%d'), 'ongoing') AS resolution,
    e.severity, e.serious, e.relationship, coalesce(e.suspected_cause, '') AS cause,
    coalesce(e.action_taken, '') AS action, e.outcome,
    CASE WHEN a.randdt IS NOT NULL AND e.onset_date >= a.randdt THEN 'Y' ELSE 'N' END AS teae
FROM adverse_events AS e
LEFT JOIN adsl AS a USING (subject_id)
ORDER BY e.site_id, e.subject_id, e.ae_seq
