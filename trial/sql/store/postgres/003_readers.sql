-- name: 003_readers
-- What an account is, for the policies of the tables it reads beside the data: whether it reads with
-- full access (every site, unblinded, not an evaluator), whether it is blinded, whether it reads the
-- assessments only. A role that is no account is blinded and reads nothing.
CREATE FUNCTION trial_full_reader() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM account_roles
                   WHERE role_name = trial_actor() AND site_id IS NULL AND NOT blinded AND NOT assessments_only)
$$;

CREATE FUNCTION trial_blinded() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT blinded FROM account_roles WHERE role_name = trial_actor()), TRUE)
$$;

CREATE FUNCTION trial_assessments_only() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT assessments_only FROM account_roles WHERE role_name = trial_actor()), TRUE)
$$;
