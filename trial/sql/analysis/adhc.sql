-- name: adhc
-- One row per randomized subject × visit × region × parameter: HAIR_COUNT (in the assessed area),
-- DENSITY (per cm²), TERMINAL_COUNT, SHAFT_DIAM; baseline value, change and % change, study day,
-- the window flag.
WITH long AS (
    SELECT h.subject_id, h.visit, h.region, h.assessment_date, 'HAIR_COUNT' AS param, CAST(h.hair_count AS DOUBLE) AS aval FROM hair_counts AS h
    UNION ALL SELECT h.subject_id, h.visit, h.region, h.assessment_date, 'DENSITY', h.hair_count / h.area_cm2 FROM hair_counts AS h
    UNION ALL SELECT h.subject_id, h.visit, h.region, h.assessment_date, 'TERMINAL_COUNT', h.terminal_count FROM hair_counts AS h WHERE h.terminal_count IS NOT NULL
    UNION ALL SELECT h.subject_id, h.visit, h.region, h.assessment_date, 'SHAFT_DIAM', h.shaft_diameter_um FROM hair_counts AS h WHERE h.shaft_diameter_um IS NOT NULL
),
baseline AS (
    SELECT l.subject_id, l.region, l.param, l.aval AS base
    FROM long AS l JOIN study_visits AS v ON v.visit = l.visit AND v.baseline
)
SELECT
    a.site_id, l.subject_id, a.arm, a.sex, a.diagnosis, a.ittfl, a.saffl, a.pprotfl,
    l.param, l.region, l.visit AS avisit, v.position AS avisitn, v.baseline AS ablfl,
    l.assessment_date AS adt, l.assessment_date - a.randdt AS ady,
    l.assessment_date - a.randdt BETWEEN v.earliest_day AND v.latest_day AS winfl,
    l.aval, b.base,
    CASE WHEN NOT v.baseline THEN l.aval - b.base END AS chg,
    CASE WHEN NOT v.baseline AND b.base <> 0 THEN 100 * (l.aval - b.base) / b.base END AS pchg
FROM long AS l
JOIN adsl AS a ON a.subject_id = l.subject_id AND a.ittfl
JOIN study_visits AS v ON v.visit = l.visit
LEFT JOIN baseline AS b ON b.subject_id = l.subject_id AND b.region = l.region AND b.param = l.param
