-- name: visit_window
-- severity: warning
-- column: assessment_date
-- domains: hair_counts pull_tests global_assessments
-- message: {value} is study day {study_day}, outside the {visit_label} window (days {earliest_day} to {latest_day})
SELECT i._line AS line, i.assessment_date AS value, i.visit,
       i.assessment_date - r.randomization_date AS study_day, v.earliest_day, v.latest_day
FROM incoming AS i
JOIN randomization AS r ON r.subject_id = i.subject_id
JOIN study_visits AS v ON v.visit = i.visit
WHERE i.assessment_date - r.randomization_date NOT BETWEEN v.earliest_day AND v.latest_day
  AND i.assessment_date >= r.randomization_date - CAST($baseline_lead_days AS INTEGER)
