-- name: data_cut
-- The data cut as a date: the latest date recorded anywhere in the study data (a screening,
-- randomization, assessment, session, adverse event or disposition). Visit windows that closed
-- before it are the ones a monitor can expect to find done.
SELECT greatest(
    (SELECT max(greatest(screening_date, consent_date)) FROM subjects),
    (SELECT max(randomization_date) FROM randomization),
    (SELECT max(assessment_date) FROM hair_counts),
    (SELECT max(assessment_date) FROM pull_tests),
    (SELECT max(assessment_date) FROM global_assessments),
    (SELECT max(session_date) FROM procedures),
    (SELECT max(greatest(onset_date, resolution_date)) FROM adverse_events),
    (SELECT max(status_date) FROM disposition)
) AS data_cut
