-- The Overview's consent-violation count per window, measured with the goals' rates by the
-- server's clock (job `at_a_glance`) after the data changes: the window is the `days` before
-- `as_of` (messages sent to people whose consent on the channel was not granted then).
CREATE TABLE overview_violations (
    days INTEGER PRIMARY KEY,
    violations BIGINT NOT NULL,
    as_of TIMESTAMP NOT NULL
);
