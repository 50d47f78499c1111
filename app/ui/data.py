"""The pages' way to the engine: the process's Workspace, and cached read calls."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from app import state
from engine import Workspace


def workspace() -> Workspace:
    """The one Workspace of this process (opened by the server, or from KITH_DB)."""
    return state.workspace()


_VIEWS: dict[str, Callable[..., Any]] = {}


def _resolve(ws: Workspace, path: str) -> Any:
    if path in _VIEWS:
        return partial(_VIEWS[path], ws)
    target: Any = ws
    for part in path.split("."):
        target = getattr(target, part)
    return target


@st.cache_data(ttl=30, show_spinner=False, max_entries=256)
def _cached_call(path: str, db_path: str, *args: Any, **kw: Any) -> Any:
    # `db_path` is part of the key so two workspaces in one process never share an entry.
    return _resolve(workspace(), path)(*args, **kw)


def cached(target: str | Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call a read-only engine function, reusing its result for 30 s: `target` is a path on the
    workspace ("overview.report") or a view `fn(ws, ...)` from app.ui.views. Only for reads that
    may lag a little; writes the dashboard makes call `invalidate()`."""
    if callable(target):
        name = f"{target.__module__}.{target.__qualname__}"
        _VIEWS[name] = target
    else:
        name = target
    return _cached_call(name, str(workspace().path), *args, **kw)


def invalidate() -> None:
    """Forget cached reads after the dashboard changed something."""
    _cached_call.clear()
