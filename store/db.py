"""The one DuckDB connection of a process, a cursor per thread, and SQL execution.

Dynamic SQL arrives as sqlglot expressions built by the engine; `render` turns them into DuckDB
SQL here, so DuckDB-only syntax stays behind this one seam. Values are always bound parameters.

`Database.compact` rewrites the file: DuckDB's DELETE only marks rows deleted and CHECKPOINT
frees blocks without overwriting them, so an erased person's values stay in the file's bytes
until the file is copied afresh. Every use of the connection passes a gate (shared); the
compaction takes it exclusively, so no thread sees the swap half done, and each thread's next
`cursor()` is a fresh cursor on the new connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
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


class Gate:
    """Shared by every use of the connection, held exclusively by a compaction. Re-entrant per
    thread. While a compaction waits, a thread that holds nothing waits too (so the compaction
    is not starved); one that already holds the gate goes on, and since the write lock is only
    ever taken inside the gate (`Database.writing`), whoever holds that lock goes on as well."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._local = threading.local()
        self._shared = 0  # threads holding the gate
        self._waiting = 0  # compactions waiting for it
        self._exclusive = False

    def held(self) -> bool:
        return getattr(self._local, "depth", 0) > 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            with self._cond:
                self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
                self._shared += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._cond:
                    self._shared -= 1
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if self.held():
            raise StoreError("the workspace file cannot be compacted inside a transaction")
        with self._cond:
            self._waiting += 1
            try:
                self._cond.wait_for(lambda: not self._exclusive and self._shared == 0)
            finally:
                self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


@dataclass(frozen=True)
class Compaction:
    """What `Database.compact` did: the file's size before and after, and how long it took."""

    bytes_before: int
    bytes_after: int
    seconds: float
    tables: int


_COPY = "kith_compact"  # the name the new file is attached under while it is written
_COPY_SUFFIX = ".compact"  # the new file, beside the workspace file


class Database:
    """Owns the DuckDB file for this process. Threads each use their own cursor; writers
    serialise on `writing()` so id allocation and multi-statement changes stay consistent.
    Every use of a cursor passes `gate` (shared): `execute` for its statement, the reads that
    fetch for statement and fetch, `transaction` and `views` for their block. Whoever uses
    `cursor()` or an `execute` result beyond that holds `using()` around it."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._con = _connect(self.path, read_only)
        self._generation = 0  # bumped when compaction swaps the connection
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.gate = Gate()
        if not read_only:
            # a compaction killed midway leaves its partial copy (with whatever it held): the
            # file is ours now (its lock is held), so no compaction is running on it
            _remove_file(Path(f"{self.path}{_COPY_SUFFIX}"))
            migrate(self._con)

    # ---- cursors and execution ---------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections are not safe to share across threads); a
        fresh one once a compaction replaced the connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or self._local.generation != self._generation:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
            self._local.generation = self._generation
        return cur

    def using(self) -> contextlib.AbstractContextManager[None]:
        """Hold the connection for a block that uses `cursor()` or an `execute` result: no
        compaction swaps it meanwhile."""
        return self.gate.shared()

    def prepare(self, query: exp.Expr) -> Prepared:
        """`query` rendered for this database once, to run many times with other parameters."""
        return Prepared(render(query))

    def execute(self, query: Sql, params: Params = None) -> duckdb.DuckDBPyConnection:
        with self.gate.shared():
            try:
                return self.cursor().execute(render(query), params)
            except duckdb.Error as err:
                log.error("statement failed: %s\n%s", err, render(query))  # the SQL: the log only
                raise StoreError(f"database error: {err}") from err

    def rows(self, query: Sql, params: Params = None) -> list[tuple[Any, ...]]:
        with self.gate.shared():
            return self.execute(query, params).fetchall()

    def dicts(self, query: Sql, params: Params = None) -> list[dict[str, Any]]:
        with self.gate.shared():
            cur = self.execute(query, params)
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, query: Sql, params: Params = None) -> Any:
        # fetchall, not fetchone: DuckDB refuses the next register() while a result is unread
        with self.gate.shared():
            rows = self.execute(query, params).fetchall()
        return rows[0][0] if rows else None

    def df(self, query: Sql, params: Params = None) -> pd.DataFrame:
        with self.gate.shared():
            return self.execute(query, params).df()

    @contextmanager
    def views(self, **frames: Any) -> Iterator[Views]:
        """Expose each DataFrame or Arrow table to this thread's cursor as a view under its name
        (the names are the store's own: store/ modules call this with the frames they are
        handed) for the block's statements, then drop the views; the block may `put` more."""
        with self.gate.shared():
            views = Views(self)
            for name, frame in frames.items():
                views.put(name, frame)
            try:
                yield views
            except BaseException:
                # An aborted transaction refuses even an unregister: the block's own error is
                # the one to raise; a view left behind is replaced when its name is registered
                # again.
                with suppress(StoreError):
                    views.drop()
                raise
            views.drop()

    def register(self, name: str, frame: Any) -> None:
        """Expose a DataFrame or Arrow table to this thread's cursor as a view (prefer `views`,
        which drops it again)."""
        with self.gate.shared():
            self.cursor().register(name, frame)

    def unregister(self, name: str) -> None:
        try:
            with self.gate.shared():
                self.cursor().unregister(name)
        except duckdb.Error as err:
            # An aborted transaction refuses even this; callers cleaning up in `finally` must
            # still see a StoreError (theirs to handle), not DuckDB's own exception type.
            raise StoreError(f"database error: {err}", details={"view": name}) from err

    # ---- writes ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise the block with every other writer (re-entrant). The gate comes first: a
        thread waiting for a compaction never holds the write lock, so the compaction can never
        wait on a thread that waits on it, nor be starved by one writer taking turns."""
        with self.gate.shared(), self._write_lock:
            yield

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on this thread's cursor, serialised with other writers.
        Re-entrant: a nested call joins the outer transaction."""
        with self.writing():
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

    # ---- compaction --------------------------------------------------------------------------

    def compact(self, step: Callable[[str], None] | None = None) -> Compaction:
        """Rewrite the workspace file so that no deleted row is left in its bytes: a copy of
        every table into a new file, checked (same tables, same row counts), renamed over the
        old one, and opened in its place. Every other thread's use of the database waits
        meanwhile; the old file stays until the copy is verified. `step` hears each stage."""
        if self.read_only:
            raise StoreError("a workspace opened read-only cannot be compacted")
        started = time.perf_counter()
        target = Path(f"{self.path}{_COPY_SUFFIX}")
        before = os.path.getsize(self.path)
        with self.gate.exclusive():
            _announce(step, "Writing a fresh copy of the workspace file")
            counts = self._copy_to(target)
            _announce(step, "Opening the fresh copy in place of the old file")
            self._swap_in(target)
        return Compaction(
            before, os.path.getsize(self.path), time.perf_counter() - started, len(counts)
        )

    def _copy_to(self, target: Path) -> dict[str, int]:
        """Copy the database into `target` and verify it; the old file is left as it was, and
        a copy that fails or does not match is deleted."""
        con = self._con
        _remove_file(target)
        try:
            con.execute("CHECKPOINT")
            source = str(con.execute("SELECT current_database()").fetchall()[0][0])
            counts = _row_counts(con, source)
            con.execute(render(_attach(target, read_only=False)))
            try:
                con.execute(_copy_from(source))
                con.execute(_CHECKPOINT_COPY)
            finally:
                con.execute(render(_DETACH_COPY))
            _verify(con, target, counts)
        except BaseException as err:
            _remove_file(target)
            if isinstance(err, duckdb.Error):
                raise StoreError(f"the workspace file could not be compacted: {err}") from err
            raise
        return counts

    def _swap_in(self, target: Path) -> None:
        """Close the connection (every cursor with it), rename the copy over the file, and
        open it. A write-ahead log left beside the old file would be replayed onto the new
        one: the old connection is reopened instead."""
        self._con.close()
        if Path(f"{self.path}.wal").exists():
            self._con = _connect(self.path, False)
            self._generation += 1
            _remove_file(target)
            raise StoreError(f"the workspace {self.path} kept a write-ahead log; not compacted")
        os.replace(target, self.path)
        _sync_directory(Path(self.path).parent)
        self._con = _connect(self.path, False)
        self._generation += 1

    def close(self) -> None:
        self._con.close()


def _announce(step: Callable[[str], None] | None, what: str) -> None:
    if step is not None:
        step(what)


def _attach(target: Path, *, read_only: bool) -> exp.Attach:
    """`ATTACH '<target>' AS kith_compact [(READ_ONLY)]` (a file path cannot be a bound
    parameter of ATTACH: it is a sqlglot string literal, quoted by the renderer)."""
    options = [exp.AttachOption(this=exp.var("READ_ONLY"))] if read_only else []
    named = exp.alias_(exp.Literal.string(str(target)), _COPY)
    return exp.Attach(this=named, exists=False, expressions=options)


_DETACH_COPY = exp.Detach(this=exp.var(_COPY), exists=False)
# DuckDB statements sqlglot has no tree for: constant text, or one identifier quoted by sqlglot
_CHECKPOINT_COPY = "CHECKPOINT " + _COPY


def _copy_from(database: str) -> str:
    """`COPY FROM DATABASE "<database>" TO kith_compact`: the name is the connection's own
    (`current_database()`), quoted as an identifier."""
    source = exp.to_identifier(database, quoted=True).sql(dialect=DIALECT)
    return f"COPY FROM DATABASE {source} TO {_COPY}"


def _row_counts(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, int]:
    """Schema-qualified table -> its exact number of rows, in `database`."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db "
        "ORDER BY ALL",
        {"db": database},
    ).fetchall()
    counts = {}
    for schema, table in tables:
        whole = exp.table_(table, db=schema, catalog=database, quoted=True)
        counted = exp.select(exp.Count(this=exp.Star())).from_(whole)
        counts[f"{schema}.{table}"] = int(con.execute(render(counted)).fetchall()[0][0])
    return counts


def _verify(con: duckdb.DuckDBPyConnection, target: Path, expected: dict[str, int]) -> None:
    """The copy, opened read-only, holds the same tables with the same numbers of rows."""
    con.execute(render(_attach(target, read_only=True)))
    try:
        found = _row_counts(con, _COPY)
    finally:
        con.execute(render(_DETACH_COPY))
    if found != expected:
        differ = sorted(
            t for t in expected.keys() | found.keys() if expected.get(t) != found.get(t)
        )
        raise StoreError(
            "the compacted copy of the workspace does not match it; the file was left as it was",
            details={"tables": differ},
        )
    if Path(f"{target}.wal").exists():
        raise StoreError("the compacted copy of the workspace was not fully written")


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
