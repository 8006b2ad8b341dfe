-- name: assessment_before_randomization
-- severity: error
-- column: assessment_date
-- domains: hair_counts pull_tests global_assessments
-- message: {value} is before the subject's randomization on {randomization_date}; {allowance}
SELECT i._line AS line, i.assessment_date AS value, r.randomization_date,
       CASE WHEN v.baseline
            THEN 'a BASELINE assessment may precede it by at most ' || $baseline_lead_days || ' days'
            ELSE 'only a BASELINE assessment may precede randomization' END AS allowance
FROM incoming AS i
JOIN randomization AS r ON r.subject_id = i.subject_id
JOIN study_visits AS v ON v.visit = i.visit
WHERE (v.baseline AND i.assessment_date < r.randomization_date - CAST($baseline_lead_days AS INTEGER))
   OR (NOT v.baseline AND i.assessment_date < r.randomization_date)
