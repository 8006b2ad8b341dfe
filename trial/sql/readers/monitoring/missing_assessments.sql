-- name: missing_assessments
-- Missing assessments: due visits (window closed before the data cut, subject not discontinued
-- before the target day) with no hair count, at the chosen sites ($sites; empty = all).
-- days_overdue: days from the window's close to the data cut.
SELECT
    site_id, subject_id, visit, position, window_opens, window_closes,
    data_cut - window_closes AS days_overdue,
    coalesce(status, 'ON STUDY') AS status, status_date
FROM expected_visits
WHERE due AND NOT assessed
  AND (len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), site_id))
ORDER BY site_id, subject_id, position
