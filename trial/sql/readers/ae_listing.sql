-- name: ae_listing
-- Every adverse event of ADAE for the Tolerability page's listing, by site, subject and sequence:
-- dates with study days from randomization, duration, the coded term and the flags a monitor filters on.
SELECT
    e.site_id, e.subject_id, coalesce(e.arm, '') AS arm, e.ae_seq, e.term, e.pt, e.soc,
    e.astdt AS onset_date, e.astdt - a.randdt AS onset_day,
    e.aendt AS resolution_date, e.aendt - e.astdt + 1 AS duration_days,
    e.severity, CASE WHEN e.serfl THEN 'Y' ELSE 'N' END AS serious, e.relationship,
    coalesce(e.suspected_cause, '') AS suspected_cause, coalesce(e.action_taken, '') AS action_taken, e.outcome,
    CASE WHEN e.trtemfl THEN 'Y' ELSE 'N' END AS teae
FROM adae AS e
JOIN adsl AS a USING (subject_id)
ORDER BY e.site_id, e.subject_id, e.ae_seq
