-- name: adpt
-- Pull tests of randomized subjects with the derived positive flag (more than the study's
-- percentage of the grasped hairs extracted) and the baseline flag.
SELECT
    a.site_id, p.subject_id, a.arm, a.ittfl, a.saffl, p.visit AS avisit, v.position AS avisitn, v.baseline AS ablfl,
    p.region, p.assessment_date AS adt, p.hairs_grasped, p.hairs_extracted,
    p.hairs_extracted > p.hairs_grasped * (SELECT value FROM study_parameters WHERE name = 'pull_positive_above_pct') / 100 AS positive
FROM pull_tests AS p
JOIN adsl AS a ON a.subject_id = p.subject_id AND a.ittfl
JOIN study_visits AS v ON v.visit = p.visit
