-- name: out_of_window_counts
-- Out-of-window visits (subjects with a visit outside its window) by site and visit, with a
-- total per visit (site_id NULL, total TRUE); reads the temporary table out_of_window.
SELECT site_id, grouping(site_id) = 1 AS total, visit, position, count(DISTINCT subject_id) AS visits
FROM out_of_window
GROUP BY GROUPING SETS ((site_id, visit, position), (visit, position))
ORDER BY total DESC, site_id, position
