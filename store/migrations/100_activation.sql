-- Activation (engine/activation/): destinations audiences leave Kith through, segment syncs
-- with what each destination was told, broadcasts with a send log per person, and the outbox
-- every delivery waits in until the receiver accepts it.
CREATE TABLE destinations (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    kind VARCHAR NOT NULL,
    channel VARCHAR,
    config JSON NOT NULL,
    secret VARCHAR,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR
);

CREATE TABLE destination_syncs (
    id BIGINT PRIMARY KEY,
    destination_id BIGINT NOT NULL,
    segment_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR,
    last_run_at TIMESTAMP,
    UNIQUE (destination_id, segment_id)
);

-- What a sync has told its destination about each person (in or out) and how many changes it
-- has sent for them: the next message's id is derived from it, so a resend keeps its id.
CREATE TABLE sync_state (
    sync_id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    member BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (sync_id, profile_id)
);

CREATE TABLE broadcasts (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    destination_id BIGINT NOT NULL,
    audience VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    send_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR,
    started_at TIMESTAMP
);

-- One row per person a broadcast reached for: queued, sent, failed or skipped (with why).
CREATE TABLE broadcast_sends (
    broadcast_id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    address VARCHAR,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    outbox_id BIGINT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (broadcast_id, profile_id)
);

-- Every delivery (a batch of sync messages, a file, one broadcast message), delivered in id
-- order per destination; retried with backoff, then 'dead' (the dead-letter list).
CREATE TABLE activation_outbox (
    id BIGINT PRIMARY KEY,
    destination_id BIGINT NOT NULL,
    sync_id BIGINT,
    broadcast_id BIGINT,
    profile_id BIGINT,
    payload VARCHAR NOT NULL,
    items INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
