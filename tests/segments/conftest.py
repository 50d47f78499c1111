"""The fixture dataset loaded once per module into a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Workspace
from tests import segment_fixtures as fx


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace holding the fixture dataset and its saved segments (treat as read-only)."""
    path: Path = tmp_path_factory.mktemp("segments") / "kith.duckdb"
    workspace = Workspace.open(path)
    fx.load(workspace)
    yield workspace
    workspace.close()
