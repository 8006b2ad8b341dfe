-- name: 005_users
-- Local accounts (argon2 password hashes only), their roles and site, the lock-out after failed
-- sign-ins, and the dashboards' sign-in sessions (only a hash of each session token is kept).
CREATE TABLE users (
    user_name VARCHAR PRIMARY KEY,
    full_name VARCHAR,
    password_hash VARCHAR NOT NULL,
    roles VARCHAR[] NOT NULL,
    site_id VARCHAR,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE user_sessions (
    token_hash VARCHAR PRIMARY KEY,
    user_name VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
