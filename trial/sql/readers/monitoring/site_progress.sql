-- name: site_progress
-- Screening, randomization against target and disposition by site, with a total row (site_id
-- NULL) over the chosen sites ($sites; an empty list means every site). Counts follow table 14.1.1
-- and ADSL's flags: screened = every subject, screen failure = not eligible (eligfl), randomized =
-- ITT (ittfl), completed and discontinued (eosstt) among the randomized; read from the study tables
-- with ADSL's definitions, since deriving all of ADSL costs more than the count (the tests hold
-- these numbers to the ARD's). Percentages: screen failures of screened, randomized of the target,
-- completed and discontinued of randomized.
WITH chosen AS (
    SELECT ids.site_id, coalesce(s.name, '') AS name, coalesce(s.target_enrolment, 0) AS target_enrolment
    FROM (SELECT site_id FROM study_sites UNION SELECT DISTINCT site_id FROM subjects) AS ids
    LEFT JOIN study_sites AS s USING (site_id)
    WHERE len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), ids.site_id)
),
counts AS (
    SELECT s.site_id,
           count(*) AS screened,
           count(*) FILTER (WHERE NOT (s.eligible = 'Y')) AS screen_failures,
           count(r.subject_id) AS randomized,
           count(r.subject_id) FILTER (WHERE d.status = 'COMPLETED') AS completed,
           count(r.subject_id) FILTER (WHERE d.status = 'DISCONTINUED') AS discontinued,
           max(r.randomization_date) AS last_randomized
    FROM subjects AS s
    LEFT JOIN randomization AS r USING (subject_id)
    LEFT JOIN disposition AS d USING (subject_id)
    GROUP BY s.site_id
),
per_site AS (
    SELECT c.site_id, c.name, c.target_enrolment,
           coalesce(n.screened, 0) AS screened, coalesce(n.screen_failures, 0) AS screen_failures,
           coalesce(n.randomized, 0) AS randomized, coalesce(n.completed, 0) AS completed,
           coalesce(n.discontinued, 0) AS discontinued, n.last_randomized
    FROM chosen AS c LEFT JOIN counts AS n USING (site_id)
)
SELECT
    site_id, CASE WHEN grouping(site_id) = 1 THEN 'All sites' ELSE any_value(name) END AS name,
    grouping(site_id) = 1 AS total,
    CAST(sum(target_enrolment) AS BIGINT) AS target_enrolment,
    CAST(sum(screened) AS BIGINT) AS screened,
    CAST(sum(screen_failures) AS BIGINT) AS screen_failures,
    100.0 * sum(screen_failures) / nullif(sum(screened), 0) AS screen_failure_pct,
    CAST(sum(randomized) AS BIGINT) AS randomized,
    100.0 * sum(randomized) / nullif(sum(target_enrolment), 0) AS randomized_pct_of_target,
    CAST(sum(completed) AS BIGINT) AS completed,
    100.0 * sum(completed) / nullif(sum(randomized), 0) AS completed_pct,
    CAST(sum(discontinued) AS BIGINT) AS discontinued,
    100.0 * sum(discontinued) / nullif(sum(randomized), 0) AS discontinued_pct,
    max(last_randomized) AS last_randomized
FROM per_site
GROUP BY GROUPING SETS ((site_id), ())
ORDER BY total DESC, site_id
