-- Each goal's completion rate over the Overview's windows, measured by the server's clock after
-- the data changes (app/scheduler.py, job `at_a_glance`), so the Overview reads the goals panel
-- instead of running one funnel per goal. `source` is the goal's definition when measured (a
-- replaced goal is measured again); `as_of` is when, and the window is the `days` before it.
CREATE TABLE goal_rates (
    goal VARCHAR NOT NULL,
    days INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    starts BIGINT NOT NULL,
    completions BIGINT NOT NULL,
    rate DOUBLE NOT NULL,
    as_of TIMESTAMP NOT NULL,
    PRIMARY KEY (goal, days)
);
