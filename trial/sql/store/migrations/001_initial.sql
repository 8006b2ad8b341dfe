-- name: 001_initial
-- The store: study definition, uploads and their raw bytes, findings, audit trail, study tables.
-- Study tables carry the upload and file line each row came from (upload_id, source_line).

CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

CREATE TABLE study_sites (site_id VARCHAR PRIMARY KEY, name VARCHAR, target_enrolment INTEGER);
CREATE TABLE study_arms (arm VARCHAR PRIMARY KEY, label VARCHAR, control BOOLEAN, microneedling BOOLEAN);
CREATE TABLE study_visits (
    visit VARCHAR PRIMARY KEY, position INTEGER, target_day INTEGER,
    earliest_day INTEGER, latest_day INTEGER, baseline BOOLEAN, primary_visit BOOLEAN
);
CREATE TABLE study_regions (region VARCHAR PRIMARY KEY);
CREATE TABLE study_coding (pt VARCHAR PRIMARY KEY, soc VARCHAR NOT NULL);

CREATE TABLE uploads (
    upload_id BIGINT PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    domain VARCHAR,
    user_name VARCHAR NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,          -- loaded | rejected
    reason VARCHAR,
    rows_in_file BIGINT,
    rows_inserted BIGINT,
    rows_corrected BIGINT,
    rows_unchanged BIGINT,
    errors BIGINT,
    warnings BIGINT
);

-- Raw bytes, once per distinct file content, compressed (codec names the compression).
CREATE TABLE upload_files (
    sha256 VARCHAR PRIMARY KEY,
    codec VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE findings (
    upload_id BIGINT NOT NULL,
    line BIGINT,
    column_name VARCHAR,
    value VARCHAR,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    message VARCHAR NOT NULL
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_trail (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    changed_at TIMESTAMPTZ NOT NULL,
    user_name VARCHAR NOT NULL,
    action VARCHAR NOT NULL,          -- INIT | INSERT | CORRECT
    table_name VARCHAR,
    record_key VARCHAR,
    column_name VARCHAR,
    old_value VARCHAR,
    new_value VARCHAR,
    reason VARCHAR,
    upload_id BIGINT
);

CREATE TABLE subjects (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, screening_date DATE NOT NULL,
    consent_date DATE NOT NULL, age BIGINT NOT NULL, sex VARCHAR NOT NULL, diagnosis VARCHAR NOT NULL,
    severity_scale VARCHAR, severity_grade VARCHAR, fitzpatrick VARCHAR, eligible VARCHAR NOT NULL,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE randomization (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, randomization_date DATE NOT NULL,
    arm VARCHAR NOT NULL, randomization_number VARCHAR, stratum VARCHAR,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE hair_counts (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, visit VARCHAR NOT NULL,
    assessment_date DATE NOT NULL, region VARCHAR NOT NULL, area_cm2 DOUBLE NOT NULL,
    hair_count BIGINT NOT NULL, terminal_count BIGINT, vellus_count BIGINT,
    shaft_diameter_um DOUBLE, evaluator_id VARCHAR,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE pull_tests (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, visit VARCHAR NOT NULL,
    assessment_date DATE NOT NULL, region VARCHAR NOT NULL,
    hairs_grasped BIGINT NOT NULL, hairs_extracted BIGINT NOT NULL,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE global_assessments (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, visit VARCHAR NOT NULL,
    assessment_date DATE NOT NULL, assessor VARCHAR NOT NULL, score BIGINT NOT NULL,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE adverse_events (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, ae_seq BIGINT NOT NULL,
    term VARCHAR NOT NULL, pt VARCHAR NOT NULL, soc VARCHAR NOT NULL,
    onset_date DATE NOT NULL, resolution_date DATE, severity VARCHAR NOT NULL,
    serious VARCHAR NOT NULL, relationship VARCHAR NOT NULL, suspected_cause VARCHAR,
    action_taken VARCHAR, outcome VARCHAR NOT NULL,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE procedures (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, session_date DATE NOT NULL,
    device VARCHAR NOT NULL, needle_mm DOUBLE NOT NULL, passes BIGINT, pain_vas BIGINT,
    pinpoint_bleeding VARCHAR,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);

CREATE TABLE disposition (
    site_id VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
    status_date DATE NOT NULL, reason VARCHAR,
    upload_id BIGINT NOT NULL, source_line BIGINT NOT NULL
);
