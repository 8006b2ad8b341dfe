-- name: open_counts
-- Queries not closed yet, per site and subject: open ones are waiting for the site's answer,
-- answered ones for the monitor to close or re-open them. Subjects without any are left out.
SELECT site_id, subject_id,
       count(*) AS open_queries,
       count(*) FILTER (WHERE status = 'OPEN') AS awaiting_answer,
       count(*) FILTER (WHERE status = 'ANSWERED') AS awaiting_review
FROM data_queries
WHERE status <> 'CLOSED'
GROUP BY site_id, subject_id
ORDER BY site_id, subject_id
