-- name: adae
-- Adverse events with arm, the treatment-emergent flag (onset on or after randomization), related
-- (possible, probable, definite), and whether it led to withdrawal.
SELECT
    a.site_id, e.subject_id, a.arm, a.saffl, e.ae_seq, e.term, e.pt, e.soc, e.onset_date AS astdt, e.resolution_date AS aendt,
    e.severity, e.serious = 'Y' AS serfl, e.relationship, e.suspected_cause, e.action_taken, e.outcome,
    a.randdt IS NOT NULL AND e.onset_date >= a.randdt AS trtemfl,
    e.relationship IN ('POSSIBLE', 'PROBABLE', 'DEFINITE') AS relfl,
    e.action_taken = 'WITHDRAWN' AS withdrfl
FROM adverse_events AS e
JOIN adsl AS a ON a.subject_id = e.subject_id
