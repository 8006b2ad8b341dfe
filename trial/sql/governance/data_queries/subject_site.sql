-- name: subject_site
-- The site of one screened subject (no row: the study has no such subject).
SELECT site_id FROM subjects WHERE subject_id = $subject
