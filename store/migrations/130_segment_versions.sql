-- Earlier definitions of saved segments: a save that replaces a definition keeps the one it
-- replaced here, numbered from 1 per segment, so it can be viewed and restored.
CREATE TABLE segment_versions (
    segment_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    expression VARCHAR,
    compound_op VARCHAR,
    compound_of JSON,
    description VARCHAR,
    saved_at TIMESTAMP NOT NULL,
    replaced_at TIMESTAMP NOT NULL,
    PRIMARY KEY (segment_id, version)
);
