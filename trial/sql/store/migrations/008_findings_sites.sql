-- name: 008_findings_sites
-- The site and subject of the line each finding is about (from the file's own row; empty for a
-- finding about the whole file, or a line whose site could not be read), so that a finding reaches
-- only the readers who may see that site's rows: a multi-site file's findings are split by site.
ALTER TABLE findings ADD COLUMN site_id VARCHAR;
ALTER TABLE findings ADD COLUMN subject_id VARCHAR;
