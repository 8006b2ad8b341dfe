-- name: subject_records
-- One subject's records of one study table, each with its key written as the audit trail writes it
-- (the key values as text joined by ' / ', subject first), then the record's columns.
-- {table}, {key}, {columns} and {order} are filled from the domain registry (schemas.DOMAINS), never
-- from what a person typed; the subject is a parameter.
SELECT {key} AS record_key, {columns}
FROM {table} AS r
WHERE subject_id = $subject
ORDER BY {order}
