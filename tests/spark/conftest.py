"""Spark conformance: the same compiled queries on Spark's local mode over a lake written by
`kith lake export`, held profile for profile to DuckDB and to the pure-Python references.

One xdist group: a single worker starts the JVM once (SparkSession.getOrCreate is shared by
every SparkLake of the process) while the other worker runs the rest of the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Workspace
from engine.scaleout.lake import export
from engine.scaleout.runner import SparkRunner

pytestmark = pytest.mark.xdist_group("spark")

# Two threads: the CI machine has two cores and the other worker needs one of them.
MASTER = "local[2]"


def spark_runner(ws: Workspace, folder: Path) -> SparkRunner:
    """Export the workspace to a fresh lake and open Spark over it."""
    export(ws.db, folder)
    return SparkRunner(folder, master=MASTER)
