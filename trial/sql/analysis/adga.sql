-- name: adga
-- Global assessments of randomized subjects with the responder flag (score of +2 or more).
SELECT
    a.site_id, g.subject_id, a.arm, a.ittfl, g.visit AS avisit, v.position AS avisitn, v.primary_visit AS primfl,
    g.assessor, g.score,
    g.score >= (SELECT value FROM study_parameters WHERE name = 'responder_min_score') AS respfl
FROM global_assessments AS g
JOIN adsl AS a ON a.subject_id = g.subject_id AND a.ittfl
JOIN study_visits AS v ON v.visit = g.visit
