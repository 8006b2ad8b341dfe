-- name: 007_emergency_unblinding
-- Emergency unblinding of one subject: who learnt the arm, when and why (the arm itself is not
-- copied here; it stays in the randomization table). Monitors are told on the study overview.
CREATE SEQUENCE unblinding_id_seq START 1;
CREATE TABLE unblindings (
    unblinding_id BIGINT PRIMARY KEY DEFAULT nextval('unblinding_id_seq'),
    site_id VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    user_name VARCHAR NOT NULL,
    unblinded_at TIMESTAMPTZ NOT NULL,
    reason VARCHAR NOT NULL
);
