-- name: 004_database_lock
-- Database lock: every lock and unlock, with who, when and why. The last row is the state.
CREATE SEQUENCE lock_id_seq START 1;
CREATE TABLE lock_history (
    lock_id BIGINT PRIMARY KEY DEFAULT nextval('lock_id_seq'),
    action VARCHAR NOT NULL CHECK (action IN ('LOCK', 'UNLOCK')),
    user_name VARCHAR NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    reason VARCHAR NOT NULL
);
