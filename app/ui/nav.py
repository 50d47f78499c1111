"""Moving between screens with the selected profile in the URL (?id=123)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui.data import workspace
from kith_errors import KithError

PAGES = Path(__file__).resolve().parents[2] / "pages"


def open_profile(profile_id: int) -> None:
    """Switch to the Profile screen showing `profile_id` (the id lands in the URL)."""
    st.session_state["profile_id"] = int(profile_id)
    st.switch_page(PAGES / "profile.py", query_params={"id": str(profile_id)})


def open_people(**filters: str) -> None:
    """Switch to the People screen with filters in the URL (e.g. segment=vip)."""
    st.switch_page(PAGES / "people.py", query_params=filters)


def selected_profile() -> int | None:
    """The profile the URL or this session points at, if any."""
    raw = st.query_params.get("id")
    if raw is not None and str(raw).isdigit():
        st.session_state["profile_id"] = int(raw)
    chosen = st.session_state.get("profile_id")
    return int(chosen) if chosen is not None else None


def inbox_title() -> str:
    """The Inbox's menu entry, with the number of unread notifications when there are any."""
    try:
        unread = workspace().rules.unread()
    except KithError:  # the menu must render even when the workspace cannot be read
        return "Inbox"
    return f"Inbox ({unread} unread)" if unread else "Inbox"
