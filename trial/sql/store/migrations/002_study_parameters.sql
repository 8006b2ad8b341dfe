-- name: 002_study_parameters
-- Numbers of the study definition that the analysis datasets need in SQL (filled from the study).
CREATE TABLE study_parameters (name VARCHAR PRIMARY KEY, value DOUBLE NOT NULL);
