"""Where a compiled query runs: the workspace's DuckDB file (the default) or Spark over a lake.

Services that evaluate segments, funnels and goals take a `Runner`; `Database` is one as it is,
and `SparkRunner` maps the compiler's DuckDB-spelled functions for Spark (the one dialect
seam, `engine.compiler.dialect`) before the store renders and runs the tree. Definitions
(saved segments, goals, the catalog) are always read from the workspace; only the heavy
queries over events and profiles move.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from sqlglot import exp

from engine.compiler.dialect import for_dialect
from kith_errors import ValidationError

ENGINES = ("duckdb", "spark")


class Runner(Protocol):
    def rows(self, query: Any, params: Any = None) -> list[tuple[Any, ...]]: ...
    def scalar(self, query: Any, params: Any = None) -> Any: ...
    def df(self, query: Any, params: Any = None) -> pd.DataFrame: ...


class SparkRunner:
    """Compiled queries run by Spark over the lake at `lake` (see store/spark.py)."""

    dialect = "spark"

    def __init__(self, lake: str | Path, *, master: str = "local[*]") -> None:
        from store.spark import SparkLake

        self.lake = SparkLake(lake, master=master)

    def rows(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return self.lake.rows(for_dialect(query, self.dialect), params)

    def scalar(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> Any:
        return self.lake.scalar(for_dialect(query, self.dialect), params)

    def df(self, query: exp.Expr, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        return self.lake.df(for_dialect(query, self.dialect), params)

    def close(self) -> None:
        self.lake.close()

    def __enter__(self) -> SparkRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spark(lake: str | Path | None, master: str = "local[*]") -> SparkRunner:
    if lake is None:
        raise ValidationError("--engine spark needs --lake DIR (write one with `kith lake export`)")
    return SparkRunner(lake, master=master)
