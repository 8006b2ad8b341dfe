-- name: 004_writers
-- What an account writes: the domains it uploads (NULL or empty: none), its uploads' log entries,
-- findings and archived files. The policies of trial/store/postgres.py check them with these.
ALTER TABLE account_roles ADD COLUMN writes text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION trial_writes() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce((SELECT writes FROM account_roles WHERE role_name = trial_actor()), '{}'::text[])
$$;

-- The highest upload number the study holds, those the account cannot read included: its next
-- upload is numbered after it (under the study's write lock, so no two uploads take one number).
CREATE FUNCTION trial_last_upload() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT coalesce(max(upload_id), 0) FROM uploads
$$;

-- Whether an upload is the acting account's own (its findings are written by it, and only then).
CREATE FUNCTION trial_own_upload(p_upload bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM uploads WHERE upload_id = p_upload AND user_name = trial_actor())
$$;

-- Whether an account of that name works at one of the acting account's sites (or is the acting one).
CREATE FUNCTION trial_colleague(p_user text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    SELECT p_user = trial_actor() OR EXISTS (SELECT 1 FROM account_roles
                                             WHERE role_name = p_user AND site_id = ANY (trial_sites()))
$$;

-- Archive an upload's packed bytes under their SHA-256 unless the same content is there already; the
-- uploader cannot read the archive (nor tell, by a refused insert, whose file it holds).
CREATE FUNCTION trial_archive(p_sha256 text, p_codec text, p_size bigint, p_content bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF cardinality(trial_writes()) = 0 THEN
        RAISE EXCEPTION '% uploads no files', trial_actor() USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO upload_files VALUES (p_sha256, p_codec, p_size, p_content) ON CONFLICT (sha256) DO NOTHING;
END
$$;
REVOKE ALL ON FUNCTION trial_archive FROM PUBLIC;
