-- name: sessions
-- One subject's microneedling sessions, numbered by date, with the study day.
SELECT
    row_number() OVER (ORDER BY p.session_date) AS session, p.session_date,
    p.session_date - r.randomization_date AS study_day,
    p.device, p.needle_mm, p.passes, p.pain_vas, p.pinpoint_bleeding
FROM procedures AS p
LEFT JOIN randomization AS r USING (subject_id)
WHERE p.subject_id = $subject
ORDER BY p.session_date
