-- name: deviations
-- Listing 16.2.2: the warnings of loaded uploads (protocol deviations and data-quality findings),
-- by site and subject, each traced to its upload, file and line.
WITH study_rows AS (
    SELECT upload_id, source_line, site_id, subject_id FROM subjects
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM randomization
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM hair_counts
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM pull_tests
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM global_assessments
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM adverse_events
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM procedures
    UNION ALL SELECT upload_id, source_line, site_id, subject_id FROM disposition
)
SELECT
    coalesce(r.site_id, '(unknown)') AS site_id, coalesce(r.subject_id, '') AS subject_id,
    u.domain, u.upload_id, u.file_name, f.line, coalesce(f.column_name, '') AS column_name,
    coalesce(f.value, '') AS value, f.rule, f.message
FROM findings AS f
JOIN uploads AS u USING (upload_id)
LEFT JOIN study_rows AS r ON r.upload_id = f.upload_id AND r.source_line = f.line
WHERE u.status = 'loaded' AND f.severity = 'warning'
ORDER BY 1, 2, u.upload_id, f.line
