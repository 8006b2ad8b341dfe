-- name: 005_acts
-- What an account does beside uploading, as the database checks it: the permissions it holds that
-- write (LOCK, UNBLIND, RAISE_QUERY, ANSWER_QUERY; trial_may), the next number of each table the
-- system numbers (an account's copy may not hold the highest), and the arm an emergency unblinding
-- reveals to the blinded account that recorded it; and whether the account reads every site (it then
-- reads every upload, whoever sent it, as the embedded store's views allow). The policies of
-- trial/store/postgres.py use them.
ALTER TABLE account_roles ADD COLUMN acts text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION trial_may(p_act text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT p_act = ANY (acts) FROM account_roles WHERE role_name = trial_actor()), false)
$$;

-- The next number of each of the system's sequences, the rows the caller cannot read included (read
-- under the study's write lock, so that no two writers take one number).
CREATE FUNCTION trial_next_ids() RETURNS TABLE (sequence_name text, next_id bigint) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT 'audit_id_seq', coalesce(max(audit_id), 0) + 1 FROM audit_trail
    UNION ALL SELECT 'lock_id_seq', coalesce(max(lock_id), 0) + 1 FROM lock_history
    UNION ALL SELECT 'query_id_seq', coalesce(max(query_id), 0) + 1 FROM data_queries
    UNION ALL SELECT 'unblinding_id_seq', coalesce(max(unblinding_id), 0) + 1 FROM unblindings
$$;

-- The arm of a subject whom the acting account has unblinded (its unblindings row, written under the
-- policy that checks its permission and site, comes first); NULL otherwise.
CREATE FUNCTION trial_unblinded_arm(p_subject text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT r.arm FROM randomization AS r
    WHERE r.subject_id = p_subject
      AND EXISTS (SELECT 1 FROM unblindings AS u WHERE u.subject_id = p_subject AND u.user_name = trial_actor())
$$;

CREATE FUNCTION trial_every_site() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT site_id IS NULL FROM account_roles WHERE role_name = trial_actor()), false)
$$;
