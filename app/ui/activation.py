"""Activation on the dashboard: the "Sync to..." and "Broadcast" actions of a saved segment (the
Segments screen calls `segment_actions` once), and the pieces the Destinations screen shows.
Names, URLs and reasons come from people: they are shown through `literal`, or in tables."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.data import invalidate, workspace
from app.ui.errors import attempt, succeeded
from app.ui.feedback import done
from app.ui.layout import empty_state
from app.ui.text import literal

KINDS = {
    "webhook": "Webhook (signed JSON POSTs)",
    "segment": "Segment-spec forward (Segment, RudderStack, another Kith)",
    "file": "File drop (CSV or Parquet)",
    "messaging": "Messaging provider (WhatsApp, SMS, email)",
}
EXAMPLE_BODY = '{"to": "{{address}}", "text": "{{message}}"}'


def segment_actions(segment: str) -> None:
    """Sync this segment to a destination, or broadcast a message to it, with the audience
    split shown before anything is sent."""
    destinations = attempt(workspace().activation.destinations)
    if destinations is None:
        return
    syncable = [d.name for d in destinations if d.kind != "messaging"]
    messaging = [d.name for d in destinations if d.kind == "messaging"]
    sync_tab, broadcast_tab = st.tabs(["Sync to…", "Broadcast"])
    with sync_tab:
        _sync(segment, syncable)
    with broadcast_tab:
        _broadcast(segment, messaging)


def _sync(segment: str, names: list[str]) -> None:
    if not names:
        empty_state("No destination to sync to", "An admin creates them on Destinations.")
        return
    target = st.selectbox("Destination", names, key="act_sync_to")
    st.caption("A full sync first, then who enters and who leaves, as it happens.")
    started = st.button("Start syncing", icon=":material/sync:", key="act_sync")
    if started and succeeded(workspace().activation.attach, target, segment):
        invalidate()
        st.success(f"Syncing {literal(segment)} to {literal(target)}.")


def new_sync() -> None:
    """The Destinations screen's way to start a sync: a saved segment, a destination, go."""
    ws = workspace()
    destinations = attempt(ws.activation.destinations)
    segments = attempt(ws.segments.list)
    if destinations is None or segments is None:
        return
    names = [d.name for d in destinations if d.kind != "messaging"]
    if not names or segments.empty:
        empty_state("Nothing to sync yet", "It takes a saved segment and a destination.")
        return
    with st.form("act_new_sync"):
        left, right = st.columns(2)
        segment = left.selectbox("Segment", segments["name"].tolist(), key="act_sync_segment")
        target = right.selectbox("Destination", names, key="act_sync_destination")
        st.caption("A full sync first, then who enters and who leaves, as it happens.")
        started = st.form_submit_button("Start syncing", icon=":material/sync:", type="primary")
    if started and succeeded(ws.activation.attach, target, segment):
        done(f"Syncing {literal(segment)} to {literal(target)}: the first delivery is on its way.")


def _broadcast(segment: str, names: list[str]) -> None:
    if not names:
        empty_state("No messaging destination", "An admin creates one on Destinations.")
        return
    via = st.selectbox("Send through", names, key="act_bc_via")
    if st.button("Preview who gets it", icon=":material/visibility:", key="act_bc_preview"):
        split = attempt(workspace().activation.preview, segment, via)
        if split is not None:
            audience_split(split)
    with st.form("act_broadcast"):
        title = st.text_input("Broadcast name", key="act_bc_name")
        message = st.text_area("Message", key="act_bc_message")
        later = st.checkbox("Send later", key="act_bc_later")
        day = st.date_input("Day (UTC)", key="act_bc_day")
        hour = st.time_input("Time (UTC)", key="act_bc_time")
        sent = st.form_submit_button("Send broadcast", type="primary", key="act_bc_send")
    if sent:
        at = dt.datetime.combine(day, hour) if later else None
        made = attempt(workspace().activation.broadcast, title, segment, via, message, send_at=at)
        if made is not None:
            invalidate()
            when = f"{made.send_at:%Y-%m-%d %H:%M}"
            st.success(f"Broadcast {literal(made.name)} queued for {when} UTC.")


def audience_split(split: pd.DataFrame) -> None:
    """Who will receive it, who is skipped and why."""
    sending = int((split["outcome"] == "send").sum())
    left, right = st.columns(2)
    left.metric("Will receive it", sending, border=True)
    right.metric("Skipped", len(split) - sending, border=True)
    reasons = split["reason"].dropna().value_counts().rename_axis("reason").reset_index()
    if not reasons.empty:
        st.dataframe(reasons, hide_index=True, width="stretch")
    with st.expander("Everyone in the audience"):
        st.dataframe(split, hide_index=True, width="stretch")


def destination_form() -> dict[str, Any] | None:
    """The create form's values as `create_destination`'s arguments, once submitted."""
    with st.form("act_new_destination"):
        name = st.text_input("Name", key="dest_name")
        kind = st.selectbox("Kind", list(KINDS), format_func=KINDS.__getitem__, key="dest_kind")
        url = st.text_input("URL (webhook, forward: …/v1/batch, provider)", key="dest_url")
        channel = st.text_input("Channel it reaches (consent is checked)", key="dest_channel")
        secret = st.text_input(
            "Secret, write key or token (blank: a webhook secret is generated)",
            type="password",
            key="dest_secret",
        )
        left, mid, right = st.columns(3)
        batch = left.number_input("People per delivery", 1, 1000, 100, key="dest_batch")
        rate = mid.number_input("Rate limit (people/s, 0: none)", 0, 100_000, 0, key="dest_rate")
        interval = right.number_input(
            "Seconds between runs (0: the kind's default)", 0, 604_800, 0, key="dest_every"
        )
        directory = st.text_input("File drop: absolute directory", key="dest_dir")
        fmt = st.selectbox("File drop: format", ["csv", "parquet"], key="dest_format")
        headers = st.text_area("Provider headers (JSON object)", "{}", key="dest_headers")
        body = st.text_area("Provider body template", EXAMPLE_BODY, key="dest_body")
        submitted = st.form_submit_button("Create destination", type="primary", key="dest_create")
    if not submitted:
        return None
    options: dict[str, Any] = {"batch_size": int(batch)}
    if interval:
        options["interval_seconds"] = int(interval)
    if rate:
        options["rate_per_second"] = int(rate)
    if kind == "file":
        options.update(directory=directory, format=fmt)
    else:
        options["url"] = url
    if kind == "messaging":
        options["body"] = body
        options["headers"] = _headers(headers)
    return {
        "name": name,
        "kind": kind,
        "options": options,
        "channel": channel.strip() or None,
        "secret": secret or None,
    }


def _headers(text: str) -> Any:
    """The headers as typed: JSON text that is not an object is passed on as it is, so the
    engine's check names what is wrong with it."""
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return text
