"""Every action ends with the screen showing the new state and a confirmation of what happened.

An action that changed something calls `done(message)`: cached reads are dropped and the script
runs again, so every part of the screen (badges, tables, pickers, confirm buttons) is drawn from
the new state. The message waits in the session for that run, where `flash()` (at the top of
each screen that acts) shows it as a toast and a callout; a message shown without the rerun
would be wiped by the next one before anyone could read it.

Long work (imports, exports, erasures) shows its steps as they happen: `with_progress` hands
the engine a progress callback drawn as a bar with the step being done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from app.ui.data import invalidate
from app.ui.errors import show_error
from kith_errors import KithError

T = TypeVar("T")

_PENDING = "kith_flash"


def done(message: str) -> None:
    """Confirm an action and redraw the screen from the new state. `message` is Markdown: quote
    anything a person typed through `literal`. Does not return (the script reruns)."""
    st.session_state[_PENDING] = message
    invalidate()
    st.rerun()


def flash() -> None:
    """Show, once, the confirmation the last action left for this run."""
    message = st.session_state.pop(_PENDING, None)
    if message:
        st.toast(message, icon=":material/check_circle:")
        st.success(message, icon=":material/check_circle:")


def with_progress(title: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call `fn(*args, progress=..., **kwargs)` inside a status box whose bar follows the steps
    it reports; the box closes as done, or as stopped with the KithError shown below it (then
    None is returned, so the rest of the screen still renders)."""
    with st.status(title, expanded=True) as box:
        bar = st.progress(0.0, text="Starting…")

        def step(what: str, share: float) -> None:
            bar.progress(share, text=what)

        try:
            result = fn(*args, progress=step, **kwargs)
        except KithError as err:
            box.update(label=f"{title}: stopped", state="error", expanded=False)
            failed = err
        else:
            box.update(label=f"{title}: done", state="complete", expanded=False)
            return result
    show_error(failed)
    return None
