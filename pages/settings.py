"""Settings: identity resolution keys, the session timeout, the server's clock, API keys, and
the team: users, their roles and what agents may do."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui
from app.ui import people_settings, views
from engine.access.matrix import ROLES
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


def _new_key(usernames: list[str]) -> None:
    with st.form("new_key", clear_on_submit=True):
        left, mid, right = st.columns([2, 1, 1])
        name = left.text_input("Key name", placeholder="website tracking", key="key_name")
        scope = mid.selectbox("Scope", ["ingest", "read_write"])
        owner = right.selectbox("Acts for (read_write)", ["—", *usernames], key="key_user")
        if st.form_submit_button("Create key", type="primary", key="key_create"):
            user = None if scope == "ingest" or owner == "—" else owner
            created = ui.attempt(ui.workspace().keys.create, name, scope=scope, user=user)
            if created is not None:
                st.success("Copy this key now: it is shown only once.")
                st.code(created.key, language=None)


def _keys_table() -> None:
    keys: pd.DataFrame | None = ui.attempt(ui.workspace().keys.list)
    if keys is None:
        return
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
        if revoke and choice and ui.attempt(ui.workspace().keys.revoke, labels[choice]):
            st.success(f"Revoked {ui.literal(choice)}; requests using it now get 401.")


def _agent_transfer() -> None:
    ws = ui.workspace()
    allowed = st.toggle(
        "Agent can import & export customer data",
        value=ws.access.agent_transfer(),
        key="agent_transfer",
        help="Off: only admins import and export. On: agents may too.",
    )
    if allowed != ws.access.agent_transfer() and ui.succeeded(
        ws.access.set_agent_transfer, allowed
    ):
        st.toast("Agents may now import and export." if allowed else "Only admins may now.")


def _new_user() -> None:
    with st.form("new_user", clear_on_submit=True):
        left, right = st.columns([2, 1])
        username = left.text_input("Username", key="user_name")
        role = right.selectbox("Role", ROLES, key="user_role")
        if st.form_submit_button("Create user", type="primary", key="user_create"):
            made = ui.attempt(ui.workspace().users.create, username, role)
            if made is not None:
                st.success("Hand over this password now: it is shown only once.")
                st.code(made[1], language=None)


def _user_actions(users: pd.DataFrame) -> None:
    cols = st.columns([2, 1, 1, 1, 1], vertical_alignment="bottom")
    username = cols[0].selectbox("User", users["username"].tolist(), key="user_pick")
    role = cols[1].selectbox("New role", ROLES, key="user_new_role")
    service = ui.workspace().users
    if cols[2].button("Set role", key="user_set_role") and ui.attempt(
        service.set_role, username, role
    ):
        st.rerun()
    if cols[3].button("Disable", key="user_disable") and ui.attempt(service.disable, username):
        st.rerun()
    if cols[4].button("Reset password", key="user_reset"):
        password = ui.attempt(service.reset_password, username)
        if password is not None:
            st.success("Hand over this new password now: it is shown only once.")
            st.code(password, language=None)


def _team() -> list[str]:
    _agent_transfer()
    users = ui.attempt(ui.workspace().users.list)
    if users is None:
        return []
    st.dataframe(users, hide_index=True, width="stretch")
    _new_user()
    if not users.empty:
        _user_actions(users)
    return users[users["active"]]["username"].tolist()


ui.header(
    "Settings",
    "How Kith recognises people, when sessions end, what runs on a clock, who may send data, "
    "and who may do what.",
)
identity, sessions, clock, team, keys = st.tabs(
    ["Identity keys", "Sessions", "Clock", "Team", "API keys"]
)
with identity:
    _identity_keys()
    _blocked_values()
    people_settings.merge_cap()
    people_settings.lifecycle_stages()
    people_settings.event_schema_choices()
with sessions:
    _sessions()
with clock:
    _clock()
with team:
    active_users = _team()
with keys:
    _new_key(active_users)
    _keys_table()
