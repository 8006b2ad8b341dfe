-- name: enrolment_periods
-- How many (site, period) points the enrolment curve would have by day, week and month, so the
-- finest period that stays readable can be chosen.
SELECT
    count(DISTINCT (site_id, randomization_date)) AS by_day,
    count(DISTINCT (site_id, date_trunc('week', randomization_date))) AS by_week,
    count(DISTINCT (site_id, date_trunc('month', randomization_date))) AS by_month
FROM randomization
WHERE len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), site_id)
