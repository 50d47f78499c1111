"""Fixtures every suite shares: a fresh workspace on a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace in a real DuckDB file under the test's temporary folder."""
    workspace = Workspace.open(tmp_path / "kith.duckdb")
    yield workspace
    workspace.close()
