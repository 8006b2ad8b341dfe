-- name: 003_audit_chain
-- The audit trail as a hash chain: each row's hash covers its content and the previous row's hash,
-- and meta keeps the last hash and the row count, so a changed, removed or added row is detected
-- (`trial audit --verify`). Rows written before this migration are sealed by the migration step.
ALTER TABLE audit_trail ADD COLUMN prev_hash VARCHAR;
ALTER TABLE audit_trail ADD COLUMN row_hash VARCHAR;
