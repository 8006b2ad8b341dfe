-- name: index
-- Every screened subject for the Subject profile's picker: site, arm (empty until randomized) and
-- end-of-study status, by site and subject.
SELECT s.site_id, s.subject_id, coalesce(r.arm, '') AS arm, coalesce(d.status, '') AS status
FROM subjects AS s
LEFT JOIN randomization AS r USING (subject_id)
LEFT JOIN disposition AS d USING (subject_id)
ORDER BY s.site_id, s.subject_id
