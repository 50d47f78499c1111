"""The pages' way to the engine: the process's Workspace acting for the logged-in user, and
cached read calls."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from app.ui.session import acting
from engine.access.acting import ActingWorkspace


def workspace() -> ActingWorkspace:
    """The process's Workspace as the logged-in user may use it: every action is checked against
    their role and recorded under their name."""
    return acting()


_VIEWS: dict[str, Callable[..., Any]] = {}


def _resolve(ws: ActingWorkspace, path: str) -> Any:
    if path in _VIEWS:
        return partial(_VIEWS[path], ws)
    target: Any = ws
    for part in path.split("."):
        target = getattr(target, part)
    return target


@st.cache_data(ttl=30, show_spinner=False, max_entries=256)
def _cached_call(path: str, db_path: str, role: str, *args: Any, **kw: Any) -> Any:
    # `db_path` is part of the key so two workspaces in one process never share an entry, and
    # `role` so an answer is only reused for someone allowed to ask for it.
    return _resolve(workspace(), path)(*args, **kw)


def cached(target: str | Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call a read-only engine function, reusing its result for 30 s: `target` is a path on the
    workspace ("overview.report") or a view `fn(ws, ...)` from app.ui.views. Only for reads that
    may lag a little; writes the dashboard makes call `invalidate()`."""
    name = _name(target)
    ws = workspace()
    return _cached_call(name, str(ws.path), ws.actor.role, *args, **kw)


@st.cache_data(ttl=3600, show_spinner=False, max_entries=64)
def _fresh_call(path: str, db_path: str, role: str, version: str, *args: Any, **kw: Any) -> Any:
    # `version` is the workspace's data version: an entry is reused until a commit runs
    return _resolve(workspace(), path)(*args, **kw)


def fresh(target: str | Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call a read-only engine function, reusing its result until the workspace's data changes
    (its data version, bumped by every commit): a rerun with the same inputs is instant, and
    new data is never hidden behind the cache. For reads of the data (events, profiles,
    memberships), not of definitions or settings, which change without a commit."""
    name = _name(target)
    ws = workspace()
    return _fresh_call(name, str(ws.path), ws.actor.role, ws.data_version, *args, **kw)


def _name(target: str | Callable[..., Any]) -> str:
    if not callable(target):
        return target
    name = f"{target.__module__}.{target.__qualname__}"
    _VIEWS[name] = target
    return name


def invalidate() -> None:
    """Forget cached reads after the dashboard changed something."""
    _cached_call.clear()
    _fresh_call.clear()
