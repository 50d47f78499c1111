"""`--engine duckdb|spark` with `--lake DIR` and `--master URL`, for the commands that
evaluate segments, funnels and goals (docs/scale-out.md)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from typing import Any

from kith_errors import ValidationError

ENGINES = ("duckdb", "spark")


def add_engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=ENGINES, default="duckdb", help="where the query runs (default duckdb)"
    )
    parser.add_argument("--lake", metavar="DIR", help="the Parquet lake Spark reads")
    parser.add_argument(
        "--master", default="local[*]", help="Spark master URL or sc:// address (local[*])"
    )


def open_runner(args: argparse.Namespace) -> Any:
    """A context manager giving the runner to pass to the engine: None (the workspace's own
    DuckDB file) or a SparkRunner over the lake."""
    if args.engine != "spark":
        if args.lake:
            raise ValidationError("--lake is for --engine spark")
        return nullcontext(None)
    from engine.scaleout.runner import spark

    return spark(args.lake, args.master)
