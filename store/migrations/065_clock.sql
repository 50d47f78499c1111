-- The server's clock (app/scheduler.py): when each recurring job last ran, so a restart runs
-- what fell due while the server was down once, and nothing that already ran runs again.
CREATE TABLE clock_jobs (
    job VARCHAR PRIMARY KEY,
    last_run_at TIMESTAMP NOT NULL
);

-- The dashboard's inbox: a rule notification is unread until someone marks it read.
ALTER TABLE notifications ADD COLUMN read_at TIMESTAMP;
