"""Who is using the dashboard: the user of the session cookie the browser sent (the server's
gate let the request in only with a valid one), and the workspace acting for them."""

from __future__ import annotations

import streamlit as st

from app import state
from engine.access.acting import ActingWorkspace
from engine.access.logins import COOKIE
from engine.access.policy import Actor


def _cookie() -> str | None:
    cookie = st.context.cookies.get(COOKIE)
    return cookie if isinstance(cookie, str) and cookie else None  # AppTest has no real one


def current_actor() -> Actor | None:
    """The logged-in user of this browser session, or the local actor a test installed."""
    cookie = _cookie()
    if cookie:
        user = state.workspace().logins.user(cookie)
        return Actor.of(user) if user is not None else None
    return state.local_actor()


def acting() -> ActingWorkspace:
    """The workspace as the current user may use it; a page without one stops at a link to
    the login page."""
    actor = current_actor()
    if actor is None:
        st.warning("Your session has ended. Log in again to continue.", icon=":material/lock:")
        st.link_button("Log in", "/login")
        st.stop()
    return state.workspace().acting_as(actor)


def account(where: st.delta_generator.DeltaGenerator) -> None:
    """The user's name and role, and the way out (the sidebar's foot)."""
    actor = current_actor()
    if actor is None:
        return
    where.caption(f"Signed in as {actor.name} · {actor.role}")
    if _cookie():
        where.link_button("Log out", "/logout", icon=":material/logout:")
