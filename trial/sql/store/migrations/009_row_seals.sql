-- name: 009_row_seals
-- Row seals: for every record a write changed, the hash of what it left (see trial/store/seals.py), kept
-- append-only under the audit row of that write. The audit row's hash covers the count and the
-- digest of its seals, so `trial audit --verify` can trust the seals and compare every record of the
-- study, the upload log, the accounts and the study definition with its latest seal. What an older
-- database holds is sealed by the migration step (trial.store.audit.seal_existing_records).
ALTER TABLE audit_trail ADD COLUMN seal_count BIGINT;
ALTER TABLE audit_trail ADD COLUMN seal_digest VARCHAR;
CREATE TABLE row_seals (
    audit_id BIGINT NOT NULL,        -- the audit row whose digest covers this seal
    ord BIGINT NOT NULL,             -- the seal's place in that digest (by sealing call, then record_key)
    step INTEGER NOT NULL,           -- the order of the sealing calls within that write
    table_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,     -- the key values joined by ' / ', as the audit trail writes them
    rows INTEGER NOT NULL,           -- rows with that key after the write (0: the record was removed)
    row_hash BLOB,                   -- SHA-256 of the record's canonical content; NULL when removed
    marks UBIGINT,                   -- a few bits of each column's hash, to name the column that differs
    prior_hash BLOB                  -- the record's hash just before the write (NULL: it did not exist)
);
