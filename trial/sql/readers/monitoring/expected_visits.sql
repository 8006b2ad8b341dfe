-- name: expected_visits
-- One row per randomized subject and protocol visit that is expected by the data cut (made a
-- temporary table over data_cut, a one-row temporary table). due: the visit's window closed before
-- the data cut and the subject had not discontinued before the visit's target day. assessed: a
-- hair count exists for the visit (in or out of its window). A visit is expected when it is due
-- or already assessed, so that completed never exceeds expected; a due visit without a hair count
-- is a missing assessment.
WITH assessed AS (
    SELECT subject_id, visit, min(assessment_date) AS assessment_date
    FROM hair_counts
    GROUP BY subject_id, visit
),
candidates AS (
    SELECT
        r.site_id, r.subject_id, v.visit, v.position, v.target_day,
        r.randomization_date AS randomization_date,
        r.randomization_date + v.earliest_day AS window_opens,
        r.randomization_date + v.latest_day AS window_closes,
        c.data_cut,
        d.status, d.status_date,
        a.assessment_date,
        a.subject_id IS NOT NULL AS assessed,
        coalesce(
            r.randomization_date + v.latest_day < c.data_cut
            AND NOT coalesce(d.status = 'DISCONTINUED' AND d.status_date < r.randomization_date + v.target_day, FALSE),
            FALSE
        ) AS due
    FROM randomization AS r
    CROSS JOIN study_visits AS v
    CROSS JOIN data_cut AS c
    LEFT JOIN disposition AS d ON d.subject_id = r.subject_id
    LEFT JOIN assessed AS a ON a.subject_id = r.subject_id AND a.visit = v.visit
)
SELECT * FROM candidates WHERE due OR assessed
