-- name: 002_boundary
-- The database as the security boundary: who is acting, which sites they see, the audit trail that
-- only the system's functions write and nobody changes, and an audit row for every change of a study
-- table, whoever makes it. The per-table policies, grants and triggers are made from the data
-- dictionary by trial/store/postgres.py.

-- Who is acting: the role set with SET ROLE (the web app, one pooled login acting as each signed-in
-- account), else the login role. Neither can be claimed: SET ROLE needs membership of the role.
-- Unlike current_user it stays the caller inside the SECURITY DEFINER functions below.
CREATE FUNCTION trial_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user::text ELSE current_setting('role') END
$$;

-- The sites the acting account sees: its own, or every site (NULL site); nothing for a role that is no
-- account. The owner (the system) is not subject to the policies at all.
CREATE FUNCTION trial_sites() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE
        WHEN a.role_name IS NULL THEN '{}'::text[]
        WHEN a.site_id IS NULL THEN (SELECT coalesce(array_agg(s.site_id), '{}'::text[]) FROM study_sites AS s)
        ELSE ARRAY[a.site_id]
    END
    FROM (SELECT trial_actor() AS actor) AS w LEFT JOIN account_roles AS a ON a.role_name = w.actor
$$;

CREATE FUNCTION trial_json(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(to_json(value)::text, 'null')
$$;

-- Append one row to the hash-chained audit trail. The hash is the SHA-256 of the same text the
-- system's Python writes (a JSON array without spaces: the previous hash, the time in microseconds,
-- the event's fields, then the seals' count and digest when there are seals), so one verifier checks
-- both engines. The chain's head in meta is locked for the transaction: writers take turns.
CREATE FUNCTION trial_record(
    p_user text, p_action text, p_table text, p_key text, p_column text, p_old text, p_new text, p_reason text,
    p_upload bigint, p_at timestamptz DEFAULT NULL, p_seal_count bigint DEFAULT NULL, p_seal_digest text DEFAULT NULL
) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_actor text := trial_actor();
    v_at timestamptz := coalesce(p_at, clock_timestamp());
    v_prev text;
    v_count bigint;
    v_id bigint;
    v_hash text;
BEGIN
    -- Only the system (the database's owner, acting as itself) names another user or the time. Any
    -- other caller is an account writing in its own name at the database's clock: not a group role an
    -- account has SET ROLE to, which is no account and would otherwise name anyone.
    IF NOT pg_has_role(v_actor, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER') THEN
        IF NOT EXISTS (SELECT 1 FROM account_roles WHERE role_name = v_actor) OR p_user IS DISTINCT FROM v_actor THEN
            RAISE EXCEPTION '% may not write the audit trail as %', v_actor, p_user USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_at IS NOT NULL THEN
            RAISE EXCEPTION '% may not name the time of an audit row: it is the database''s clock', v_actor
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    SELECT value INTO v_prev FROM meta WHERE key = 'audit_head' FOR UPDATE;
    SELECT value::bigint INTO v_count FROM meta WHERE key = 'audit_rows' FOR UPDATE;
    SELECT coalesce(max(audit_id), 0) + 1 INTO v_id FROM audit_trail;
    v_hash := encode(sha256(convert_to(
        '[' || trial_json(v_prev) || ',' || (extract(epoch FROM v_at) * 1000000)::bigint::text || ','
        || trial_json(p_user) || ',' || trial_json(p_action) || ',' || trial_json(p_table) || ','
        || trial_json(p_key) || ',' || trial_json(p_column) || ',' || trial_json(p_old) || ','
        || trial_json(p_new) || ',' || trial_json(p_reason) || ',' || coalesce(p_upload::text, 'null')
        || CASE WHEN p_seal_digest IS NULL THEN '' ELSE ',' || p_seal_count::text || ',' || trial_json(p_seal_digest) END
        || ']', 'UTF8')), 'hex');
    INSERT INTO audit_trail VALUES (v_id, v_at, p_user, p_action, p_table, p_key, p_column, p_old, p_new, p_reason,
                                    p_upload, v_prev, v_hash, p_seal_count, p_seal_digest);
    UPDATE meta SET value = v_hash WHERE key = 'audit_head';
    UPDATE meta SET value = (v_count + 1)::text WHERE key = 'audit_rows';
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION trial_record FROM PUBLIC;

-- Nobody changes or removes an audit row, not even the owner (who could drop this trigger, and whose
-- rewrite the chain then shows).
CREATE FUNCTION trial_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % of its rows is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH ROW EXECUTE FUNCTION trial_refuse_audit_change();
CREATE TRIGGER audit_trail_not_truncated BEFORE TRUNCATE ON audit_trail
    FOR EACH STATEMENT EXECUTE FUNCTION trial_refuse_audit_change();

-- What the system is doing in this transaction (set by its write path with set_config(…, true)): the
-- upload, its file and the reason. A change made without it is recorded as made outside the system.
CREATE FUNCTION trial_context() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('trial.context', true), '')::jsonb
$$;

-- The record key of a row as the audit trail writes it: the key values joined by ' / '. A trigger's
-- arguments are the key's columns, then, after a '-', the columns never written into the trail.
CREATE FUNCTION trial_key(row_json jsonb, keys text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(coalesce(row_json ->> k, ''), ' / ' ORDER BY n)
    FROM unnest(keys) WITH ORDINALITY AS u(k, n) WHERE k NOT LIKE '-%'
$$;

CREATE FUNCTION trial_unwritten(keys text[]) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(substr(k, 2)), '{}'::text[]) FROM unnest(keys) AS k WHERE k LIKE '-%'
$$;

-- Every change of a study table writes its audit rows here, whoever makes it: new rows counted in one
-- row, each changed cell in a row of its own (old and new value), each removed record in a row.
-- search_path is fixed (pg_temp last) so that a session's temporary table named like ours is never
-- the one these functions write.
-- One change's audit row: as the system's (its action, reason and upload from trial.context) or, with
-- no context, as made outside the system (DIRECT_ before the action); the actor always the caller.
CREATE FUNCTION trial_record_change(p_action text, p_table text, p_key text, p_column text, p_old text, p_new text)
RETURNS void LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_context jsonb := trial_context();
BEGIN
    PERFORM trial_record(trial_actor(), CASE WHEN v_context IS NULL THEN 'DIRECT_' || p_action ELSE p_action END,
                         p_table, p_key, p_column, p_old, p_new, v_context ->> 'reason',
                         (v_context ->> 'upload_id')::bigint);
END
$$;

-- Every statement that changes a study table moves one of the counters caches key on: the work
-- version for queries and accounts (trial.store.versions.WORK_TABLES), the data version for the rest.
-- (As the owner: an account writes study rows, never meta; moving a version tells no one anything.)
CREATE FUNCTION trial_work_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['users', 'account_roles', 'data_queries', 'query_messages']
$$;

CREATE FUNCTION trial_data_changed(p_table text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
    UPDATE meta SET value = (value::bigint + 1)::text
    WHERE key = CASE WHEN p_table = ANY (trial_work_tables()) THEN 'work_version' ELSE 'data_version' END
$$;

CREATE FUNCTION trial_audit_inserted() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_rows bigint;
BEGIN
    SELECT count(*) INTO v_rows FROM new_rows;
    IF v_rows > 0 THEN
        PERFORM trial_record_change('INSERT', TG_TABLE_NAME, NULL, NULL, NULL, v_rows || ' rows' || CASE
            WHEN trial_context() IS NULL THEN ', outside the system'
            ELSE coalesce(' from ' || (trial_context() ->> 'file'), '') END);
    END IF;
    PERFORM trial_data_changed(TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- An update is audited row by row, each old row with its own new one (a statement's transition tables
-- cannot be paired: a changed key joins nothing, and rows that share a key, which no constraint
-- forbids, join crosswise): a row of its own for each changed cell, under the record's key before the
-- change. Which upload a row came from is left out of the system's corrections (their upload's audit
-- row names it), not out of a change made outside the system.
CREATE FUNCTION trial_audit_updated() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_old jsonb := to_jsonb(OLD);
    v_system boolean := trial_context() IS NOT NULL;
    v_unwritten text[] := trial_unwritten(TG_ARGV::text[]);
BEGIN
    PERFORM trial_record_change(CASE WHEN v_system THEN 'CORRECT' ELSE 'UPDATE' END, TG_TABLE_NAME,
                                trial_key(v_old, TG_ARGV::text[]), e.key,
                                CASE WHEN e.key = ANY (v_unwritten) THEN NULL ELSE v_old ->> e.key END,
                                CASE WHEN e.key = ANY (v_unwritten) THEN '(changed)' ELSE e.value END)
    FROM jsonb_each_text(to_jsonb(NEW)) AS e
    WHERE e.value IS DISTINCT FROM v_old ->> e.key AND NOT (v_system AND e.key IN ('upload_id', 'source_line'))
    ORDER BY e.key;
    RETURN NULL;
END
$$;

CREATE FUNCTION trial_audit_update_done() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM trial_data_changed(TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE FUNCTION trial_audit_deleted() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM trial_record_change('DELETE', TG_TABLE_NAME, g.record_key, NULL, g.old_value, NULL)
    FROM (SELECT trial_key(to_jsonb(t), TG_ARGV::text[]) AS record_key,
                 (to_jsonb(t) - trial_unwritten(TG_ARGV::text[]))::text AS old_value
          FROM old_rows AS t ORDER BY 1) AS g;
    PERFORM trial_data_changed(TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- A study table is never emptied at a stroke (TRUNCATE fires no row or statement change triggers).
CREATE FUNCTION trial_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is never truncated: its rows are corrected, with a reason, through the system', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
