-- name: efficacy/individual_values
-- Each ITT subject's value, change and % change from baseline at one visit, for one parameter and
-- region (observed cases): the rows behind the individual-changes chart. Needs the analysis
-- dataset views (trial.analysis.datasets.open_datasets) on the cursor.
SELECT subject_id, site_id, arm, sex, diagnosis, param, region, avisit, aval, base, chg, pchg
FROM adhc
WHERE param = $param AND region = $region AND avisit = $visit AND chg IS NOT NULL
ORDER BY arm, subject_id
