-- name: enrolment_curve
-- Subjects randomized per site and period ($period: day, week or month, by the period's first
-- day), with the site's running total.
WITH per_period AS (
    SELECT site_id, CAST(date_trunc($period, randomization_date) AS DATE) AS period_start, count(*) AS randomized
    FROM randomization
    WHERE len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), site_id)
    GROUP BY ALL
)
SELECT site_id, period_start, randomized,
       CAST(sum(randomized) OVER (PARTITION BY site_id ORDER BY period_start) AS BIGINT) AS cumulative
FROM per_period
ORDER BY site_id, period_start
