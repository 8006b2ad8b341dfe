-- name: facts
-- One subject's key facts: baseline characteristics, randomization, analysis populations (ADSL)
-- and disposition. Needs the analysis views open (``open_datasets``).
SELECT
    s.site_id, s.subject_id, s.age, s.sex, s.diagnosis, s.severity_scale, s.severity_grade, s.fitzpatrick,
    s.screening_date, s.consent_date, s.eligible,
    r.arm, r.randomization_date, r.randomization_number, r.stratum,
    coalesce(a.ittfl, FALSE) AS ittfl, coalesce(a.saffl, FALSE) AS saffl, coalesce(a.pprotfl, FALSE) AS pprotfl,
    d.status, d.status_date, d.reason
FROM subjects AS s
LEFT JOIN randomization AS r USING (subject_id)
LEFT JOIN disposition AS d USING (subject_id)
LEFT JOIN (SELECT subject_id, ittfl, saffl, pprotfl FROM adsl WHERE subject_id = $subject) AS a USING (subject_id)
WHERE s.subject_id = $subject
