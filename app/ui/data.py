"""The pages' way to the engine: the process's Workspace, and cached read calls."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import state
from engine import Workspace


def workspace() -> Workspace:
    """The one Workspace of this process (opened by the server, or from KITH_DB)."""
    return state.workspace()


def _resolve(ws: Workspace, path: str) -> Any:
    target: Any = ws
    for part in path.split("."):
        target = getattr(target, part)
    return target


@st.cache_data(ttl=30, show_spinner=False, max_entries=256)
def _cached_call(path: str, db_path: str, *args: Any, **kw: Any) -> Any:
    # `db_path` is part of the key so two workspaces in one process never share an entry.
    return _resolve(workspace(), path)(*args, **kw)


def cached(path: str, *args: Any, **kw: Any) -> Any:
    """Call the read-only engine function at `path` on the workspace (e.g. "overview.report"),
    reusing its result for 30 s. Only for aggregates that may lag a little; writes that the
    dashboard makes call `invalidate()`."""
    return _cached_call(path, str(workspace().path), *args, **kw)


def invalidate() -> None:
    """Forget cached reads after the dashboard changed something."""
    _cached_call.clear()
