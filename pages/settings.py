"""Settings: identity resolution keys, the session timeout, the server's clock and API keys."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui
from app.ui import views
from engine.admin.settings import DAY_SECONDS


def _identity_keys() -> None:
    ws = ui.workspace()
    st.markdown(
        "When an event or import matches several profiles, the **rank** decides which key wins "
        "(1 = strongest). The **limit** is how many values of a type one profile may hold; "
        "a match that would exceed it drops the weaker key instead of merging."
    )
    table = views.identity_keys(ws)
    with st.form("identity_keys"):
        edited = st.data_editor(
            table,
            hide_index=True,
            disabled=["type"],
            width="stretch",
            height=36 * (len(table) + 1) + 4,  # every identity type visible at once
            column_config={
                "rank": st.column_config.NumberColumn("Rank", min_value=1, step=1),
                "limit": st.column_config.NumberColumn("Limit per profile", min_value=1, step=1),
            },
            key="identity_table",
        )
        if st.form_submit_button("Save identity keys", type="primary"):
            with ui.guard():
                views.save_identity_keys(ws, edited.to_dict("records"))
                st.success("Identity keys saved.")


def _blocked_values() -> None:
    ws = ui.workspace()
    with st.form("blocked"):
        st.markdown("**Blocked values** never identify anyone (one per line, case-insensitive).")
        text = st.text_area("Blocked values", "\n".join(ws.settings.blocked_values), height=180)
        if st.form_submit_button("Save blocked values"):
            with ui.guard():
                ws.settings.set_blocked_values([v for v in text.splitlines() if v.strip()])
                st.success("Blocked values saved.")


def _sessions() -> None:
    ws = ui.workspace()
    with st.form("sessions"):
        minutes = st.number_input(
            "Session timeout (minutes of inactivity)",
            min_value=1,
            max_value=1440,
            value=ws.settings.session_timeout_minutes,
            step=5,
            key="timeout",
        )
        if st.form_submit_button("Save timeout", key="timeout_save"):
            with ui.guard():
                ws.settings.session_timeout_minutes = int(minutes)
                st.success(f"New sessions now start after {int(minutes)} idle minutes.")


def _clock() -> None:
    ws = ui.workspace()
    st.markdown(
        "While `kith serve` runs, it re-evaluates the segments with a relative time window "
        "(`in last 30 days`) on this interval, and retries failed webhook deliveries with a "
        "wait that doubles after every attempt."
    )
    with st.form("clock"):
        cols = st.columns(3)
        refresh = cols[0].number_input(
            "Time-based refresh (seconds)",
            min_value=1,
            max_value=DAY_SECONDS,
            value=ws.settings.time_refresh_seconds,
            step=60,
            key="clock_refresh",
        )
        backoff = cols[1].number_input(
            "First retry after (seconds)",
            min_value=1,
            max_value=DAY_SECONDS,
            value=ws.settings.webhook_backoff_seconds,
            key="clock_backoff",
        )
        attempts = cols[2].number_input(
            "Attempts before a delivery fails",
            min_value=1,
            max_value=50,
            value=ws.settings.webhook_max_attempts,
            key="clock_attempts",
        )
        if st.form_submit_button("Save", key="clock_save"):
            with ui.guard():
                views.save_clock(ws, int(refresh), int(backoff), int(attempts))
                st.success("Saved; the server applies it within a second.")


def _new_key() -> None:
    with st.form("new_key", clear_on_submit=True):
        left, right = st.columns([2, 1])
        name = left.text_input("Key name", placeholder="website tracking", key="key_name")
        scope = right.selectbox("Scope", ["ingest", "read_write"])
        if st.form_submit_button("Create key", type="primary", key="key_create"):
            created = ui.attempt(ui.workspace().keys.create, name, scope=scope)
            if created is not None:
                st.success("Copy this key now: it is shown only once.")
                st.code(created.key, language=None)


def _keys_table() -> None:
    keys: pd.DataFrame = ui.workspace().keys.list()
    if keys.empty:
        ui.empty_state("No API keys yet", "Create one to send events to /v1/track or /v1/batch.")
        return
    st.dataframe(keys, hide_index=True, width="stretch")
    active = keys[keys["active"]]
    if active.empty:
        return
    with st.form("revoke"):
        labels = {f"{r.name} ({r.prefix}…)": int(r.id) for r in active.itertuples()}
        choice = st.selectbox("Revoke a key", list(labels))
        revoke = st.form_submit_button("Revoke")
        if revoke and choice and ui.attempt(ui.workspace().keys.revoke, labels[choice]) is not None:
            st.success(f"Revoked {choice}; requests using it now get 401.")


ui.header(
    "Settings",
    "How Kith recognises people, when sessions end, what runs on a clock, and who may send data.",
)
identity, sessions, clock, keys = st.tabs(["Identity keys", "Sessions", "Clock", "API keys"])
with identity:
    _identity_keys()
    _blocked_values()
with sessions:
    _sessions()
with clock:
    _clock()
with keys:
    _new_key()
    _keys_table()
