-- name: hair_counts
-- One subject's hair counts as loaded, in visit order, with the study day from randomization,
-- whether the day is inside the visit's window, and the density (hairs per cm²).
SELECT
    h.visit, v.position, h.assessment_date, h.assessment_date - r.randomization_date AS study_day,
    CASE WHEN r.randomization_date IS NULL THEN NULL
         ELSE h.assessment_date - r.randomization_date BETWEEN v.earliest_day AND v.latest_day END AS in_window,
    h.region, h.area_cm2, h.hair_count, h.hair_count / h.area_cm2 AS density,
    h.terminal_count, h.vellus_count, h.shaft_diameter_um, h.evaluator_id, h.upload_id, h.source_line
FROM hair_counts AS h
LEFT JOIN randomization AS r USING (subject_id)
LEFT JOIN study_visits AS v ON v.visit = h.visit
WHERE h.subject_id = $subject
ORDER BY v.position, h.region
