"""The Parquet lake: the workspace's tables written as Parquet files for another engine (Spark).

Events are written partitioned by day (`events/date=YYYY-MM-DD/*.parquet`) and only appended to:
a re-run writes the batches stored since the last one. Every other table is small next to the
events and changes in place (edits, merges, erasure), so it is rewritten whole each time, into a
new folder that replaces the old one only once it is complete. JSON columns are written as text
(Spark reads JSON text with `get_json_object`); times stay naive UTC timestamps.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from sqlglot import exp

from store.db import Database, render

EVENTS = "events"
# Tables the compiled queries read, besides events, and what describes saved segments.
TABLES = (
    "profiles",
    "identities",
    "labels",
    "consent_log",
    "segments",
    "segment_members",
    "list_members",
)


def _select_all(db: Database, table: str, where: exp.Expr | None = None) -> exp.Select:
    """Every column of `table`, JSON columns cast to text (column names come from our own
    file's catalog, never from input)."""
    columns = db.rows(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = $table ORDER BY ordinal_position",
        {"table": table},
    )
    picked = [
        exp.cast(exp.column(name), "VARCHAR").as_(name) if kind == "JSON" else exp.column(name)
        for name, kind in columns
    ]
    select = exp.select(*picked).from_(table)
    return select.where(where) if where is not None else select


def write_table(db: Database, table: str, folder: Path) -> int:
    """Rewrite `folder/<table>/` with the table's current rows; returns the row count. The new
    folder replaces the old one only once it is complete."""
    target = folder / table
    staging = folder / f".{table}.{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    with db.using():
        query = db.cursor().sql(render(_select_all(db, table)))
        query.write_parquet(str(staging / "part-0.parquet"))
    count = int(db.scalar(exp.select(exp.Count(this=exp.Star())).from_(table)))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return count


def append_events(db: Database, folder: Path, after_batch: int, upto_batch: int) -> int:
    """Append the events of batches in (after_batch, upto_batch] to `folder/events/`,
    partitioned by day (events without a batch count as batch -1); returns how many."""
    batch = exp.func("coalesce", exp.column("batch_id"), exp.Literal.number(-1))
    where = exp.and_(
        exp.GT(this=batch, expression=exp.Placeholder(this="after")),
        exp.LTE(this=batch.copy(), expression=exp.Placeholder(this="upto")),
    )
    params = {"after": after_batch, "upto": upto_batch}
    counted = exp.select(exp.Count(this=exp.Star())).from_(EVENTS).where(where)
    count = int(db.scalar(counted, params))
    if count == 0:
        if not (folder / EVENTS).exists():
            _empty_events(db, folder)
        return 0
    day = exp.cast(exp.column("ts"), "DATE").as_("date")
    select = _select_all(db, EVENTS, where)
    select.set("expressions", [*select.expressions, day])
    (folder / EVENTS).mkdir(parents=True, exist_ok=True)
    with db.using():
        relation = db.cursor().sql(render(select), params=params)
        relation.write_parquet(str(folder / EVENTS), partition_by=["date"], append=True)
    return count


def _empty_events(db: Database, folder: Path) -> None:
    """No events yet: one empty file in a placeholder day, so readers still find the columns
    (and the `date` partition) of the events table."""
    day = folder / EVENTS / "date=1970-01-01"
    day.mkdir(parents=True)
    select = _select_all(db, EVENTS, exp.false())
    with db.using():
        db.cursor().sql(render(select)).write_parquet(str(day / "empty.parquet"))


def drop_events(folder: Path) -> None:
    shutil.rmtree(folder / EVENTS, ignore_errors=True)


def latest_batch(db: Database) -> int:
    """The newest ingestion batch stored (-1 when none)."""
    return int(db.scalar("SELECT coalesce(max(batch_id), -1) FROM events"))


def events_fingerprint(db: Database, upto_batch: int) -> list[int]:
    """Count and an order-free checksum of the events of batches up to `upto_batch`, with the
    profile each belongs to now: it changes when a merge moves events or erasure deletes them,
    which an append cannot follow."""
    row = db.rows(
        "SELECT count(*), coalesce(sum(hash(id, profile_id) % 1000000007), 0) FROM events "
        "WHERE coalesce(batch_id, -1) <= $upto",
        {"upto": upto_batch},
    )[0]
    return [int(row[0]), int(row[1])]
