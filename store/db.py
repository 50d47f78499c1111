"""The one DuckDB connection of a process, a cursor per thread, and SQL execution.

Dynamic SQL arrives as sqlglot expressions built by the engine; `render` turns them into DuckDB
SQL here, so DuckDB-only syntax stays behind this one seam. Values are always bound parameters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from kith_errors import StoreError, WorkspaceLocked
from store.migrate import migrate

if TYPE_CHECKING:
    import pandas as pd  # DuckDB makes the frames; commands that never ask for one skip pandas

log = logging.getLogger("kith.store")

DIALECT = "duckdb"


@dataclass(frozen=True)
class Prepared:
    """A dynamic statement rendered once (`Database.prepare`), for callers that run the same
    tree many times: rendering a large tree costs more than running it. Opaque to the engine."""

    text: str


Params = Mapping[str, Any] | Sequence[Any] | None
Sql = str | exp.Expr | Prepared


def render(query: Sql, dialect: str = DIALECT) -> str:
    """SQL text for a query; sqlglot expressions are rendered for `dialect`."""
    if isinstance(query, Prepared):
        return query.text
    return query if isinstance(query, str) else query.sql(dialect=dialect)


class Views:
    """The views `Database.views` keeps for its block (see there)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.names: list[str] = []

    def put(self, name: str, frame: Any) -> None:
        """Expose `frame` as the view `name` (replacing what the name showed before)."""
        self.db.register(name, frame)
        if name not in self.names:
            self.names.append(name)

    def drop(self) -> None:
        for name in self.names:
            self.db.unregister(name)


class Database:
    """Owns the DuckDB file for this process. Threads each use their own cursor; writers
    serialise on `write_lock` so id allocation and multi-statement changes stay consistent."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self._con = _connect(self.path, read_only)
        self._local = threading.local()
        self.write_lock = threading.RLock()
        if not read_only:
            migrate(self._con)

    # ---- cursors and execution ---------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections are not safe to share across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
        return cur

    def prepare(self, query: exp.Expr) -> Prepared:
        """`query` rendered for this database once, to run many times with other parameters."""
        return Prepared(render(query))

    def execute(self, query: Sql, params: Params = None) -> duckdb.DuckDBPyConnection:
        try:
            return self.cursor().execute(render(query), params)
        except duckdb.Error as err:
            log.error("statement failed: %s\n%s", err, render(query))  # the SQL: the log only
            raise StoreError(f"database error: {err}") from err

    def rows(self, query: Sql, params: Params = None) -> list[tuple[Any, ...]]:
        return self.execute(query, params).fetchall()

    def dicts(self, query: Sql, params: Params = None) -> list[dict[str, Any]]:
        cur = self.execute(query, params)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, query: Sql, params: Params = None) -> Any:
        # fetchall, not fetchone: DuckDB refuses the next register() while a result is unread
        rows = self.execute(query, params).fetchall()
        return rows[0][0] if rows else None

    def df(self, query: Sql, params: Params = None) -> pd.DataFrame:
        return self.execute(query, params).df()

    @contextmanager
    def views(self, **frames: Any) -> Iterator[Views]:
        """Expose each DataFrame or Arrow table to this thread's cursor as a view under its name
        (the names are the store's own: store/ modules call this with the frames they are
        handed) for the block's statements, then drop the views; the block may `put` more."""
        views = Views(self)
        for name, frame in frames.items():
            views.put(name, frame)
        try:
            yield views
        except BaseException:
            # An aborted transaction refuses even an unregister: the block's own error is the
            # one to raise; a view left behind is replaced when its name is registered again.
            with suppress(StoreError):
                views.drop()
            raise
        views.drop()

    def register(self, name: str, frame: Any) -> None:
        """Expose a DataFrame or Arrow table to this thread's cursor as a view (prefer `views`,
        which drops it again)."""
        self.cursor().register(name, frame)

    def unregister(self, name: str) -> None:
        try:
            self.cursor().unregister(name)
        except duckdb.Error as err:
            # An aborted transaction refuses even this; callers cleaning up in `finally` must
            # still see a StoreError (theirs to handle), not DuckDB's own exception type.
            raise StoreError(f"database error: {err}", details={"view": name}) from err

    # ---- writes ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on this thread's cursor, serialised with other writers.
        Re-entrant: a nested call joins the outer transaction."""
        with self.write_lock:
            depth = getattr(self._local, "tx_depth", 0)
            cur = self.cursor()
            if depth == 0:
                cur.execute("BEGIN TRANSACTION")
            self._local.tx_depth = depth + 1
            try:
                yield cur
            except BaseException:
                self._local.tx_depth = depth
                if depth == 0:
                    cur.execute("ROLLBACK")
                raise
            self._local.tx_depth = depth
            if depth == 0:
                cur.execute("COMMIT")

    def allocate_ids(self, space: str, count: int) -> int:
        """Reserve `count` consecutive ids in `space`; returns the first."""
        with self.transaction():
            row = self.rows(
                "INSERT INTO counters VALUES ($space, $count) ON CONFLICT (name) "
                "DO UPDATE SET value = counters.value + $count RETURNING value",
                {"space": space, "count": count},
            )
        return int(row[0][0]) - count + 1

    def checkpoint(self) -> None:
        self.execute("CHECKPOINT")

    def close(self) -> None:
        self._con.close()


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise WorkspaceLocked(
                f"the workspace {path} is open in another process (is `kith serve` running?); "
                "stop it, or send data through its HTTP API instead",
                details={"path": path},
            ) from err
        raise StoreError(f"cannot open workspace {path}: {err}", details={"path": path}) from err
