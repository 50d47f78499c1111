"""Apache Spark over a Kith lake: the other place SQL runs, next to DuckDB (`store/db.py`).

`SparkLake` opens a SparkSession (local mode by default, or any master URL / Spark Connect
address), exposes the lake's tables as temporary views under the workspace's own table names,
and runs the engine's sqlglot trees rendered for Spark SQL, every value still a bound parameter
(Spark's named markers). It reads like `Database` (`rows`, `scalar`, `df`), so a service can
run the same compiled query on either. pyspark is an optional extra (`kith[spark]`): it is
imported only when a SparkLake is opened.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlglot import exp

from kith_errors import StoreError, ValidationError
from store.lake import EVENTS, TABLES

DIALECT = "spark"
LOCAL = "local[*]"


class SparkLake:
    """A SparkSession whose views are the lake at `folder`."""

    def __init__(self, folder: str | Path, *, master: str = LOCAL) -> None:
        self.folder = Path(folder)
        if not (self.folder / EVENTS).is_dir() or not (self.folder / "profiles").is_dir():
            raise ValidationError(
                f"{self.folder} is not a Kith lake (no events/ and profiles/ folders); "
                "write one with `kith lake export DIR`"
            )
        self.session = _session(master)
        for table in (EVENTS, *TABLES):
            self._view(table)

    def _view(self, table: str) -> None:
        path = self.folder / table
        if not path.is_dir():
            raise ValidationError(f"the lake {self.folder} has no {table}/ folder")
        reader = self.session.read.option("basePath", str(path))
        reader.parquet(str(path)).createOrReplaceTempView(table)

    # ---- reading ---------------------------------------------------------------------------

    def sql(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> Any:
        """The Spark DataFrame of a sqlglot tree (already mapped for Spark by the engine)."""
        tree, args = _bind(query, dict(params or {}))
        text = tree.sql(dialect=DIALECT)
        try:
            return self.session.sql(text, args=args or None)
        except Exception as err:  # pyspark's errors share no base class worth naming
            raise StoreError(f"Spark could not run the query: {_first_line(err)}") from err

    def rows(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return [tuple(row) for row in self._collect(query, params)]

    def scalar(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> Any:
        rows = self.rows(query, params)
        return rows[0][0] if rows else None

    def df(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        frame = self.sql(query, params)
        try:
            return frame.toPandas()
        except Exception as err:
            raise StoreError(f"Spark could not run the query: {_first_line(err)}") from err

    def _collect(self, query: exp.Expr, params: Mapping[str, Any] | None) -> list[Any]:
        frame = self.sql(query, params)
        try:
            return frame.collect()
        except Exception as err:
            raise StoreError(f"Spark could not run the query: {_first_line(err)}") from err

    def close(self) -> None:
        self.session.catalog.clearCache()
        for table in (EVENTS, *TABLES):
            self.session.catalog.dropTempView(table)

    def __enter__(self) -> SparkLake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _session(master: str) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ValidationError(
            "running on Spark needs the optional extra: pip install 'kith[spark]' "
            "(and a Java 17+ runtime)"
        ) from err
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    builder = SparkSession.builder.appName("kith")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        for key, value in _local_settings().items():
            builder = builder.config(key, value)
        builder = builder.master(master)
    shared = builder.getOrCreate()
    # Views are per session: each lake gets its own, over the one SparkContext of the process.
    session = shared if master.startswith("sc://") else shared.newSession()
    for key, value in _SESSION.items():
        session.conf.set(key, value)
    return session


# Kith's times are naive UTC: Spark must neither shift them nor read them as local time; and
# NULL (not an error) for an out-of-range list index or a failed cast, as DuckDB's functions.
_SESSION = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "false"}


def _local_settings() -> dict[str, str]:
    """A local session on a laptop: no web UI or progress bars, shuffles sized to the cores,
    partition discovery without a Spark job, the driver's memory from KITH_SPARK_MEMORY."""
    return {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(_partitions()),
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
        "spark.driver.memory": os.environ.get("KITH_SPARK_MEMORY", "4g"),
        "spark.log.level": "ERROR",
        "spark.log.structuredLogging.enabled": "false",
    }


def _python() -> str:
    import sys

    return sys.executable


def _partitions() -> int:
    return max(4, 2 * (os.cpu_count() or 2))


def _bind(query: exp.Expr, params: dict[str, Any]) -> tuple[exp.Expr, dict[str, Any]]:
    """Spark's parameter markers take literals: times travel as ISO text cast back to TIMESTAMP
    (so the session time zone, UTC, reads them), lists as `array(...)` of bound elements."""
    args: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for name, value in params.items():
        if isinstance(value, dt.datetime):
            args[name] = value.isoformat(sep=" ")
        elif isinstance(value, dt.date):
            args[name] = value.isoformat()
        elif isinstance(value, list | tuple):
            lists[name] = list(value)
        else:
            args[name] = value
    for name, values in lists.items():
        for index, item in enumerate(values):
            args[f"{name}_{index}"] = item

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Placeholder):
            return node
        value = params.get(node.name)
        if isinstance(value, dt.datetime):
            return exp.cast(exp.Placeholder(this=node.name), "TIMESTAMP")
        if isinstance(value, dt.date):
            return exp.cast(exp.Placeholder(this=node.name), "DATE")
        if node.name in lists:
            items = [exp.Placeholder(this=f"{node.name}_{i}") for i in range(len(lists[node.name]))]
            return exp.Array(expressions=items)
        return node

    return query.transform(rewrite), args


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
