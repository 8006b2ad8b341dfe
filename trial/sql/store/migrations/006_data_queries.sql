-- name: 006_data_queries
-- Data queries: a monitor's question on one data point (subject, study table, record key, column),
-- and every message of its conversation: opened, answered by the site, closed or re-opened by the
-- monitor. Messages are only ever added; a query's status is that of its latest message.
CREATE SEQUENCE query_id_seq START 1;
CREATE TABLE data_queries (
    query_id BIGINT PRIMARY KEY DEFAULT nextval('query_id_seq'),
    site_id VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,         -- key values joined by ' / ', subject first (as the audit trail writes it)
    column_name VARCHAR NOT NULL,
    value_when_opened VARCHAR,           -- the data point's value as the monitor saw it
    status VARCHAR NOT NULL CHECK (status IN ('OPEN', 'ANSWERED', 'CLOSED')),
    opened_by VARCHAR NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE query_messages (
    query_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,                -- 1 for the opening message, then in the order written
    written_at TIMESTAMPTZ NOT NULL,
    user_name VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('OPEN', 'ANSWER', 'CLOSE', 'REOPEN')),
    text VARCHAR,                        -- empty only when a query is closed without a comment
    upload_id BIGINT,                    -- the upload an answer cites (the correction), if any
    PRIMARY KEY (query_id, seq)
);
