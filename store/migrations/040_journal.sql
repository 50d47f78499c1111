-- The tracking API's journal (app/journal.py): the sequence number of the last journal record
-- loaded into this file (written in the same transaction as the record's events), and the
-- accepted messages the loader could not store, kept with the reason instead of being lost.
CREATE TABLE journal_checkpoint (
    id INTEGER PRIMARY KEY,
    loaded_seq BIGINT NOT NULL
);

CREATE TABLE ingest_failures (
    id BIGINT PRIMARY KEY,
    received_at TIMESTAMP NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    reason VARCHAR NOT NULL,
    message JSON NOT NULL
);
