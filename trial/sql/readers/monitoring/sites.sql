-- name: sites
-- The study's sites with their name and target enrolment, and any site that holds subjects
-- without being declared in the study (target 0), in site order.
SELECT ids.site_id, coalesce(s.name, '') AS name, coalesce(s.target_enrolment, 0) AS target_enrolment
FROM (SELECT site_id FROM study_sites UNION SELECT DISTINCT site_id FROM subjects) AS ids
LEFT JOIN study_sites AS s USING (site_id)
ORDER BY ids.site_id
