-- name: randomization_number_unique
-- severity: error
-- column: randomization_number
-- domains: randomization
-- message: {value} is already the randomization number of subject {other_subject}
SELECT i._line AS line, i.randomization_number AS value, o.subject_id AS other_subject
FROM incoming AS i
JOIN (
    SELECT subject_id, randomization_number FROM randomization
    WHERE subject_id NOT IN (SELECT subject_id FROM incoming WHERE subject_id IS NOT NULL)
    UNION ALL
    SELECT subject_id, randomization_number FROM incoming
) AS o ON o.randomization_number = i.randomization_number AND o.subject_id <> i.subject_id
