-- Kith schema, version 1. All timestamps are naive TIMESTAMPs holding UTC.
-- Big append-only tables (events, identities, sessions) carry no index constraints so bulk
-- loads stay fast; the engine keeps their keys unique (anti-joins on load).

CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value JSON NOT NULL
);

CREATE TABLE profiles (
    id BIGINT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    first_seen TIMESTAMP,
    last_seen TIMESTAMP,
    name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    company VARCHAR,
    country VARCHAR,
    city VARCHAR,
    language VARCHAR,
    lifecycle VARCHAR,
    source VARCHAR,
    platform VARCHAR,
    properties JSON
);

CREATE TABLE identities (
    profile_id BIGINT NOT NULL,
    type VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    source VARCHAR
);

CREATE TABLE identity_log (
    id BIGINT,
    logged_at TIMESTAMP NOT NULL,
    decision VARCHAR NOT NULL,
    profile_id BIGINT,
    detail JSON
);

CREATE TABLE events (
    id BIGINT NOT NULL,
    message_id VARCHAR NOT NULL,
    profile_id BIGINT NOT NULL,
    session_id VARCHAR,
    type VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    channel VARCHAR,
    source VARCHAR,
    properties JSON,
    context JSON,
    registered BOOLEAN NOT NULL DEFAULT TRUE,
    orphaned BOOLEAN NOT NULL DEFAULT FALSE,
    batch_id BIGINT
);

CREATE TABLE sessions (
    id VARCHAR NOT NULL,
    profile_id BIGINT NOT NULL,
    channel VARCHAR,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    event_count INTEGER NOT NULL,
    source VARCHAR,
    device VARCHAR
);

CREATE TABLE labels (
    profile_id BIGINT NOT NULL,
    label VARCHAR NOT NULL,
    added_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL
);

CREATE TABLE consents (
    profile_id BIGINT NOT NULL,
    channel VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL DEFAULT 'marketing',
    status VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    source VARCHAR
);

CREATE TABLE consent_log (
    id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    channel VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL DEFAULT 'marketing',
    status VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    source VARCHAR,
    actor VARCHAR
);

CREATE TABLE property_schema (
    name VARCHAR PRIMARY KEY,
    type VARCHAR NOT NULL,
    description VARCHAR,
    enum_values JSON,
    pattern VARCHAR,
    min_value DOUBLE,
    max_value DOUBLE,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE event_types (
    name VARCHAR PRIMARY KEY,
    display_name VARCHAR,
    description VARCHAR,
    properties JSON,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE segments (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    kind VARCHAR NOT NULL,
    expression VARCHAR,
    compound_op VARCHAR,
    compound_of JSON,
    description VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    refreshed_at TIMESTAMP
);

CREATE TABLE segment_members (
    segment_id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    entered_at TIMESTAMP NOT NULL
);

CREATE TABLE segment_history (
    segment_id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    change VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL
);

CREATE TABLE segment_sizes (
    segment_id BIGINT NOT NULL,
    measured_at TIMESTAMP NOT NULL,
    size BIGINT NOT NULL
);

CREATE TABLE list_members (
    segment_id BIGINT NOT NULL,
    profile_id BIGINT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    actor VARCHAR
);

CREATE TABLE rules (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    source VARCHAR NOT NULL,
    priority INTEGER NOT NULL DEFAULT 100,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    last_fired_at TIMESTAMP,
    fire_count BIGINT NOT NULL DEFAULT 0,
    last_scheduled_at TIMESTAMP
);

CREATE TABLE rule_runs (
    id BIGINT NOT NULL,
    rule_id BIGINT NOT NULL,
    profile_id BIGINT,
    event_id BIGINT,
    actions JSON,
    fired_at TIMESTAMP NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    outcome VARCHAR NOT NULL DEFAULT 'applied'
);

CREATE TABLE webhook_outbox (
    id BIGINT PRIMARY KEY,
    rule_id BIGINT,
    profile_id BIGINT,
    url VARCHAR NOT NULL,
    payload JSON NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);

CREATE TABLE notifications (
    id BIGINT NOT NULL,
    rule_id BIGINT,
    profile_id BIGINT,
    message VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE goals (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    source VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE merges (
    id BIGINT PRIMARY KEY,
    primary_id BIGINT NOT NULL,
    secondary_id BIGINT NOT NULL,
    merged_at TIMESTAMP NOT NULL,
    actor VARCHAR,
    snapshot JSON NOT NULL,
    undone_at TIMESTAMP
);

CREATE TABLE merge_moves (
    merge_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    ref VARCHAR NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR,
    action VARCHAR NOT NULL,
    field VARCHAR,
    before JSON,
    after JSON
);

CREATE TABLE api_keys (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    prefix VARCHAR NOT NULL,
    key_hash VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Id allocation: one row per id space; `Database.allocate_ids` advances it in a transaction.
CREATE TABLE counters (
    name VARCHAR PRIMARY KEY,
    value BIGINT NOT NULL
);
