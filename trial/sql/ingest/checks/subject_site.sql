-- name: subject_site
-- severity: error
-- column: site_id
-- domains: randomization hair_counts pull_tests global_assessments adverse_events procedures disposition
-- message: {value} is not the site of subject {subject_id}, who belongs to site {subject_site}
SELECT i._line AS line, i.site_id AS value, i.subject_id, s.site_id AS subject_site
FROM incoming AS i
JOIN subjects AS s ON s.subject_id = i.subject_id
WHERE i.site_id <> s.site_id
