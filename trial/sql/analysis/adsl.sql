-- name: adsl
-- One row per screened subject: baseline characteristics, arm, population flags, disposition.
-- ittfl: randomized. saffl: randomized and treated (a microneedling session, or any assessment
-- after randomization while on minoxidil). pprotfl: completed, with the primary visit's assessment
-- of the endpoint region inside its window (no major deviation).
WITH primary_in_window AS (
    SELECT DISTINCT h.subject_id
    FROM hair_counts AS h
    JOIN randomization AS r USING (subject_id)
    JOIN study_visits AS v ON v.visit = h.visit AND v.primary_visit
    WHERE h.assessment_date - r.randomization_date BETWEEN v.earliest_day AND v.latest_day
),
treated AS (
    SELECT subject_id FROM procedures
    UNION
    SELECT h.subject_id FROM hair_counts AS h JOIN randomization AS r USING (subject_id)
    WHERE h.assessment_date > r.randomization_date
),
last_seen AS (
    SELECT subject_id, max(assessment_date) AS lastvisdt FROM hair_counts GROUP BY subject_id
)
SELECT
    s.site_id, s.subject_id, s.age, s.sex, s.diagnosis, s.severity_scale, s.severity_grade, s.fitzpatrick,
    s.screening_date, s.consent_date, s.eligible = 'Y' AS eligfl,
    r.arm, r.randomization_date AS randdt, r.randomization_number,
    r.subject_id IS NOT NULL AS ittfl,
    r.subject_id IS NOT NULL AND t.subject_id IS NOT NULL AS saffl,
    coalesce(d.status = 'COMPLETED' AND p.subject_id IS NOT NULL, FALSE) AS pprotfl,
    d.status AS eosstt, d.status_date AS eosdt, d.reason AS dcsreas,
    l.lastvisdt
FROM subjects AS s
LEFT JOIN randomization AS r USING (subject_id)
LEFT JOIN disposition AS d USING (subject_id)
LEFT JOIN (SELECT DISTINCT subject_id FROM treated) AS t USING (subject_id)
LEFT JOIN primary_in_window AS p USING (subject_id)
LEFT JOIN last_seen AS l USING (subject_id)
