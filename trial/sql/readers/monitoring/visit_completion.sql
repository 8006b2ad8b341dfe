-- name: visit_completion
-- The visit-completion matrix: by site and visit, the expected visits (see expected_visits), those
-- with a hair count (completed), the due ones without (missing) and the completed share; with a
-- total row per visit (site_id NULL, total TRUE) over the chosen sites ($sites; empty = all).
SELECT
    site_id, grouping(site_id) = 1 AS total, visit, position,
    count(*) AS expected,
    count(*) FILTER (WHERE assessed) AS completed,
    count(*) FILTER (WHERE due AND NOT assessed) AS missing,
    100.0 * count(*) FILTER (WHERE assessed) / count(*) AS completed_pct
FROM expected_visits
WHERE len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), site_id)
GROUP BY GROUPING SETS ((site_id, visit, position), (visit, position))
ORDER BY total DESC, site_id, position
