-- name: 011_work_version
-- A second counter beside data_version: queries and accounts move it (trial.store.versions), so that
-- a query opened or an account added leaves the data version, the ARD and a built pack as they were.
INSERT INTO meta SELECT 'work_version', '0' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'work_version');
