-- name: 010_session_end
-- Why a session ended (signed out, locked out, account disabled, password reset), so that the
-- sign-in page and the command line can say so to the person whose session it was.
ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS ended_why VARCHAR;
