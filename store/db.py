"""The one DuckDB connection of a process, a cursor per thread, and SQL execution.

Dynamic SQL arrives as sqlglot expressions built by the engine; `render` turns them into DuckDB
SQL here, so DuckDB-only syntax stays behind this one seam. Values are always bound parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from kith_errors import StoreError, WorkspaceLocked
from store.migrate import migrate

if TYPE_CHECKING:
    import pandas as pd  # DuckDB makes the frames; commands that never ask for one skip pandas

Params = Mapping[str, Any] | Sequence[Any] | None
Sql = str | exp.Expr

DIALECT = "duckdb"


def render(query: Sql, dialect: str = DIALECT) -> str:
    """SQL text for a query; sqlglot expressions are rendered for `dialect`."""
    return query if isinstance(query, str) else query.sql(dialect=dialect)


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

    def execute(self, query: Sql, params: Params = None) -> duckdb.DuckDBPyConnection:
        try:
            return self.cursor().execute(render(query), params)
        except duckdb.Error as err:
            raise StoreError(f"database error: {err}", details={"sql": render(query)}) from err

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

    def register(self, name: str, frame: Any) -> None:
        """Expose a DataFrame or Arrow table to this thread's cursor as a view."""
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
