-- name: out_of_window
-- Visits whose hair count was taken outside the visit window, one row per subject, visit and
-- assessment date (regions assessed the same day count once), at the chosen sites ($sites; empty =
-- all). The rule is ADHC's window flag (study day = assessment date − randomization date, outside
-- the visit's earliest..latest day), read from the study tables: deriving ADHC would cost ten times
-- as much, and the tests hold the two to the same rows. days_outside: days before the window
-- opened (negative) or after it closed (positive).
SELECT DISTINCT
    h.site_id, h.subject_id, h.visit, v.position, h.assessment_date,
    h.assessment_date - r.randomization_date AS study_day, v.target_day, v.earliest_day, v.latest_day,
    CASE WHEN h.assessment_date - r.randomization_date < v.earliest_day
         THEN h.assessment_date - r.randomization_date - v.earliest_day
         ELSE h.assessment_date - r.randomization_date - v.latest_day END AS days_outside
FROM hair_counts AS h
JOIN randomization AS r ON r.subject_id = h.subject_id
JOIN study_visits AS v ON v.visit = h.visit
WHERE h.assessment_date - r.randomization_date NOT BETWEEN v.earliest_day AND v.latest_day
  AND (len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), h.site_id))
