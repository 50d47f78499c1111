"""The one Workspace of this process, shared by the HTTP API and the Streamlit pages.

`kith serve` opens the workspace and calls `set_workspace` before it serves anything, so the
pages (run by Streamlit in the same process) and the API routes use the same DuckDB connection.
Without a server (`streamlit run app/main.py`, AppTest) the first call to `workspace()` opens the
file named by the KITH_DB environment variable, or ./kith.duckdb.

The dashboard acts for the user of the request's session cookie. Only a process that serves no
one (AppTest in the tests) may install a local actor instead (`set_local_actor`); `kith serve`
never does.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from engine import Workspace

if TYPE_CHECKING:
    from engine.access.policy import Actor

DEFAULT_DB = "kith.duckdb"

_lock = threading.Lock()
_current: Workspace | None = None
_local_actor: Actor | None = None


def workspace() -> Workspace:
    """The process's Workspace, opening KITH_DB (or ./kith.duckdb) on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Workspace.open(os.environ.get("KITH_DB", DEFAULT_DB))
        return _current


def set_workspace(ws: Workspace | None) -> None:
    """Install the workspace the server opened (None forgets it, e.g. after shutdown)."""
    global _current
    with _lock:
        _current = ws


def set_local_actor(actor: Actor | None) -> None:
    """Act for `actor` in dashboard runs that carry no session cookie (AppTest only)."""
    global _local_actor
    _local_actor = actor


def local_actor() -> Actor | None:
    return _local_actor
