-- name: warning_counts
-- The distinct data-quality warnings by rule and domain, open and corrected; reads the temporary
-- table quality_warnings (the rows of warnings.sql for the chosen sites).
SELECT rule, domain,
       count(*) FILTER (WHERE status = 'open') AS open,
       count(*) FILTER (WHERE status = 'corrected') AS corrected
FROM quality_warnings
GROUP BY rule, domain
ORDER BY open DESC, corrected DESC, rule, domain
