-- name: warnings
-- Data-quality warnings kept from loaded uploads, each distinct finding once: the same domain,
-- line, column, value, rule and message reported again by a re-upload of the file counts once
-- (times_reported says how often it was reported). Each finding is traced to the study row it
-- flagged through the upload and line that row carries; site and subject come from that row.
-- status: 'corrected' when the flagged cell no longer holds the flagged value (or, for a row a
-- later upload restamped without flagging it again, the audit trail records that value corrected
-- away); 'open' otherwise. Only findings traced to the chosen sites ($sites; empty = all, with the
-- untraced ones too). Unordered: the caller sorts (open first, by site and subject).
WITH occurrences AS MATERIALIZED (
    SELECT f.upload_id, u.file_name, u.domain, u.uploaded_at, f.line,
           coalesce(f.column_name, '') AS column_name, coalesce(f.value, '') AS value, f.rule, f.message
    FROM findings AS f
    JOIN uploads AS u USING (upload_id)
    WHERE u.status = 'loaded' AND f.severity = 'warning'
),
-- The joins come before to_json so that only the flagged rows are turned into JSON.
traced AS (
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) AS cells FROM occurrences AS o
    JOIN subjects AS t ON o.domain = 'subjects' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN randomization AS t ON o.domain = 'randomization' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN hair_counts AS t ON o.domain = 'hair_counts' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN pull_tests AS t ON o.domain = 'pull_tests' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN global_assessments AS t ON o.domain = 'global_assessments' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN adverse_events AS t ON o.domain = 'adverse_events' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN procedures AS t ON o.domain = 'procedures' AND t.upload_id = o.upload_id AND t.source_line = o.line
    UNION ALL
    SELECT o.upload_id, o.line, t.site_id, t.subject_id, to_json(t) FROM occurrences AS o
    JOIN disposition AS t ON o.domain = 'disposition' AND t.upload_id = o.upload_id AND t.source_line = o.line
),
distinct_findings AS (
    SELECT
        o.domain, o.line, o.column_name, o.value, o.rule, o.message,
        min(o.upload_id) AS first_upload, max(o.upload_id) AS last_upload, count(*) AS times_reported,
        arg_min(o.file_name, o.upload_id) AS file_name,
        CAST(timezone('UTC', max(o.uploaded_at)) AS TIMESTAMP) AS last_reported_utc,
        max(t.site_id) AS site_id, max(t.subject_id) AS subject_id,
        count(t.upload_id) > 0 AS traced,
        max(CASE WHEN o.column_name <> '' THEN json_extract_string(t.cells, '$.' || o.column_name) END) AS current_value
    FROM occurrences AS o
    LEFT JOIN traced AS t ON t.upload_id = o.upload_id AND t.line = o.line
    GROUP BY o.domain, o.line, o.column_name, o.value, o.rule, o.message
)
SELECT
    coalesce(d.site_id, '') AS site_id, coalesce(d.subject_id, '') AS subject_id, d.domain, d.file_name,
    d.first_upload, d.last_upload, d.times_reported, d.last_reported_utc, d.line, d.column_name, d.value,
    d.rule, d.message,
    CASE
        WHEN d.traced THEN CASE
            WHEN coalesce(try_cast(d.current_value AS DOUBLE) = try_cast(d.value AS DOUBLE),
                          coalesce(d.current_value, '') = d.value) THEN 'open'
            ELSE 'corrected' END
        WHEN EXISTS (
            SELECT 1 FROM audit_trail AS a
            WHERE a.action = 'CORRECT' AND a.table_name = d.domain AND a.column_name = d.column_name
              AND a.old_value = d.value AND a.upload_id > d.first_upload
        ) THEN 'corrected'
        ELSE 'open'
    END AS status
FROM distinct_findings AS d
WHERE len(CAST($sites AS VARCHAR[])) = 0 OR list_contains(CAST($sites AS VARCHAR[]), d.site_id)
