-- name: disposition_before_last_record
-- severity: warning
-- column: status_date
-- domains: disposition
-- message: {value} is before the subject's last {record} on {last_date}: the study cannot end before the subject's last record
-- The reader's view of each table: a session the reader may not see (a blinded reader sees none) is not counted.
SELECT i._line AS line, i.status_date AS value, l.record, l.last_date
FROM incoming AS i
JOIN (
    SELECT subject_id, max(on_day) AS last_date, arg_max(record, on_day) AS record
    FROM (
        SELECT subject_id, assessment_date AS on_day, 'hair count' AS record FROM hair_counts
        UNION ALL SELECT subject_id, assessment_date, 'pull test' FROM pull_tests
        UNION ALL SELECT subject_id, assessment_date, 'global assessment' FROM global_assessments
        UNION ALL SELECT subject_id, session_date, 'microneedling session' FROM procedures
    )
    GROUP BY subject_id
) AS l ON l.subject_id = i.subject_id
WHERE i.status_date < l.last_date
