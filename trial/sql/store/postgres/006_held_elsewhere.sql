-- name: 006_held_elsewhere
-- Which lines of a file the uploader's own rows cannot judge: those whose key, or a value no two
-- records share, is already held by a record the caller cannot read (another site's). An upload's
-- check refuses such a line with a sentence, as the embedded store's check does by reading the table
-- itself. The caller sends the lines (JSON: "_line" and the table's key and one-per-study columns);
-- the answer names lines and columns only, never a value of the record collided with; the columns
-- compared are the table's own unique indexes, never the caller's choice; and only for a table the
-- caller uploads to. (It tells whether a key is taken, as the embedded check's sentence does.)
CREATE FUNCTION trial_held_elsewhere(p_table text, p_lines jsonb)
RETURNS TABLE (line integer, column_name text) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
    v_table regclass;
    v_key text[];
    v_unique text[];
    v_typed text;
    v_match text;
    v_column text;
BEGIN
    IF NOT (p_table = ANY (trial_writes())) THEN
        RAISE EXCEPTION 'trial: % does not upload to %', trial_actor(), p_table USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_table := p_table::regclass;
    SELECT array_agg(a.attname::text ORDER BY k.position) INTO v_key
    FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid,
         unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
         JOIN pg_attribute AS a ON a.attrelid = v_table AND a.attnum = k.attnum
    WHERE i.indrelid = v_table AND c.relname = p_table || '_key';
    SELECT coalesce(array_agg(a.attname::text), '{}') INTO v_unique
    FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
         JOIN pg_attribute AS a ON a.attrelid = v_table AND a.attnum = i.indkey[0]
    WHERE i.indrelid = v_table AND i.indisunique AND i.indnatts = 1 AND c.relname <> p_table || '_key';
    SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ') INTO v_typed
    FROM pg_attribute AS a WHERE a.attrelid = v_table AND a.attname = ANY (v_key || v_unique);
    SELECT string_agg(format('b.%1$I = l.%1$I', k), ' AND ') INTO v_match FROM unnest(v_key) AS k;
    RETURN QUERY EXECUTE format('SELECT l._line, NULL::text FROM jsonb_to_recordset($1) AS l(_line integer, %s) '
                                'WHERE EXISTS (SELECT 1 FROM %s AS b WHERE %s)', v_typed, v_table, v_match) USING p_lines;
    FOREACH v_column IN ARRAY v_unique LOOP
        RETURN QUERY EXECUTE format('SELECT l._line, %L::text FROM jsonb_to_recordset($1) AS l(_line integer, %s) '
                                    'WHERE l.%I IS NOT NULL AND EXISTS (SELECT 1 FROM %s AS b WHERE b.%I = l.%I AND NOT (%s))',
                                    v_column, v_typed, v_column, v_table, v_column, v_column, v_match) USING p_lines;
    END LOOP;
END $$;
