-- Event schemas for the data steward: a built-in event type extended with custom properties
-- keeps a row in event_types (its added properties only); every type gets an enforcement
-- policy (off | warn | block), and events stored under `warn` that break their type's
-- schema are flagged, append-only, one row per event.
ALTER TABLE event_types ADD COLUMN enforcement VARCHAR NOT NULL DEFAULT 'off';
ALTER TABLE event_types ADD COLUMN builtin BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE event_flags (
    event_id BIGINT NOT NULL,
    type VARCHAR NOT NULL,
    problem VARCHAR NOT NULL,
    flagged_at TIMESTAMP NOT NULL
);
-- Saved column mappings of the CSV profile import: file header -> Kith column.
CREATE TABLE import_mappings (
    name VARCHAR PRIMARY KEY,
    mapping JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
