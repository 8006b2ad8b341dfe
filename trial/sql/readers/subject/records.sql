-- name: records
-- Every record of one subject in the study tables, with its key written as the audit trail writes
-- it (values joined by ' / ', dates as YYYY-MM-DD) and the upload and file line it was last written by.
SELECT 'subjects' AS table_name, subject_id AS record_key, upload_id, source_line FROM subjects WHERE subject_id = $subject
UNION ALL
SELECT 'randomization', subject_id, upload_id, source_line FROM randomization WHERE subject_id = $subject
UNION ALL
SELECT 'hair_counts', concat_ws(' / ', subject_id, visit, region), upload_id, source_line FROM hair_counts WHERE subject_id = $subject
UNION ALL
SELECT 'pull_tests', concat_ws(' / ', subject_id, visit, region), upload_id, source_line FROM pull_tests WHERE subject_id = $subject
UNION ALL
SELECT 'global_assessments', concat_ws(' / ', subject_id, visit, assessor), upload_id, source_line
FROM global_assessments WHERE subject_id = $subject
UNION ALL
SELECT 'adverse_events', concat_ws(' / ', subject_id, CAST(ae_seq AS VARCHAR)), upload_id, source_line
FROM adverse_events WHERE subject_id = $subject
UNION ALL
SELECT 'procedures', concat_ws(' / ', subject_id, strftime(session_date, '%Y-%m-%d')), upload_id, source_line
FROM procedures WHERE subject_id = $subject
UNION ALL
SELECT 'disposition', subject_id, upload_id, source_line FROM disposition WHERE subject_id = $subject
