"""The server's clock: when each recurring job last ran (`clock_jobs`), the static SQL."""

from __future__ import annotations

import datetime as dt

from store.db import Database


def last_runs(db: Database) -> dict[str, dt.datetime]:
    return {str(job): at for job, at in db.rows("SELECT job, last_run_at FROM clock_jobs")}


def record_run(db: Database, job: str, at: dt.datetime) -> None:
    with db.transaction():
        db.execute(
            "INSERT INTO clock_jobs VALUES ($job, $at) "
            "ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at",
            {"job": job, "at": at},
        )
