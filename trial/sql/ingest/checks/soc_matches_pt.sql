-- name: soc_matches_pt
-- severity: warning
-- column: soc
-- domains: adverse_events
-- message: {value} is not the system organ class of {pt} in the coding list ({coded_soc})
SELECT i._line AS line, i.soc AS value, i.pt, c.soc AS coded_soc
FROM incoming AS i
JOIN study_coding AS c ON lower(c.pt) = lower(i.pt)
WHERE lower(i.soc) <> lower(c.soc)
