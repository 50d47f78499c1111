-- Team access (engine/access/): the people who log in, their login sessions, and the user each
-- read_write API key acts for. Passwords are stored only as scrypt hashes, sessions only as the
-- sha256 of their random id.
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    username VARCHAR NOT NULL UNIQUE,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE user_sessions (
    session_hash VARCHAR PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);

ALTER TABLE api_keys ADD COLUMN user_id BIGINT;
