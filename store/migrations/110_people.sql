-- People work (engine/profiles/): a profile's main channel when an agent set it by hand (else
-- it is proposed from activity), and notes agents write on a profile.
CREATE TABLE main_channels (
    profile_id BIGINT PRIMARY KEY,
    channel VARCHAR NOT NULL,
    set_by VARCHAR NOT NULL,
    set_at TIMESTAMP NOT NULL
);

CREATE TABLE notes (
    id BIGINT PRIMARY KEY,
    profile_id BIGINT NOT NULL,
    author VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
