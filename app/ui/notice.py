"""Confirmations that outlive a rerun: an action that reruns the page to show the new state
leaves its message here, and the page shows it as a toast on the run that follows."""

from __future__ import annotations

import streamlit as st

_KEY = "kith_notice"


def after_rerun(message: str) -> None:
    """Keep `message` (Markdown made literal by the caller) for the next run, then rerun."""
    st.session_state[_KEY] = message
    st.rerun()


def show_pending() -> None:
    """Show, once, the message an action left before the rerun."""
    message = st.session_state.pop(_KEY, None)
    if message:
        st.toast(message, icon=":material/check_circle:")
