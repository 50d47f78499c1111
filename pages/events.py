"""Events: the newest events first, filtered, with full detail; and the event-type registry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import streamlit as st

from app import ui
from engine.catalog.vocab import CHANNELS
from engine.clock import utcnow

PAGE_SIZE = 100


def _filters() -> dict[str, Any]:
    cols = st.columns([2, 1, 1, 1])
    seen = ui.attempt(ui.cached, "events.types_seen")
    types = [] if seen is None or seen.empty else sorted(seen["type"].tolist())
    chosen = cols[0].multiselect("Types", types, key="ev_types")
    channel = cols[1].selectbox("Channel", ["Any", *CHANNELS], key="ev_channel")
    profile = cols[2].number_input("Profile id", min_value=1, value=None, step=1, key="ev_pid")
    days = cols[3].selectbox(
        "Period",
        [1, 7, 30, 90, 365],
        index=2,
        key="ev_days",
        format_func=lambda d: f"last {d} days",
    )
    return {
        "types": chosen or None,
        "channel": None if channel == "Any" else channel,
        "profile_id": None if profile is None else int(profile),
        "start": utcnow() - dt.timedelta(days=days),
    }


def _list() -> None:
    filters = _filters()
    offset = ui.page_offset(PAGE_SIZE, key="ev_page")
    found = ui.attempt(ui.workspace().events.list, **filters, limit=PAGE_SIZE, offset=offset)
    if found is None:
        return
    rows, total = found
    st.subheader(f"{ui.fmt.number(total)} events", anchor=False)
    ui.pager(total, PAGE_SIZE, key="ev_page")
    if rows.empty:
        ui.empty_state("No events match", "Widen the period or clear a filter.")
        return
    event = ui.pick_event(ui.with_names(rows), key="ev_table", column_config=ui.person_columns())
    if event is not None:
        _detail(int(event["id"]))


def _detail(event_id: int) -> None:
    event = ui.attempt(ui.workspace().events.get, event_id)
    if event is None:
        return
    with st.container(border=True):
        st.markdown(
            f"**{ui.literal(event['type'])}** · {ui.fmt.value(event.get('ts'))} · #{event_id} "
            f"· by {ui.named(int(event['profile_id']))}"
        )
        left, right = st.columns(2)
        left.json(event.get("properties") or {}, expanded=True)
        right.json(event.get("context") or {}, expanded=False)
        if st.button("Open this person", icon=":material/person:"):
            ui.open_profile(int(event["profile_id"]))


def _schema(text: str) -> dict[str, str]:
    """`amount:number, plan:string` -> {"amount": "number", "plan": "string"}."""
    pairs = [p.split(":", 1) for p in text.split(",") if p.strip()]
    return {k.strip(): (v[0].strip() if v else "string") for k, *v in pairs}


def _registry() -> None:
    types = ui.attempt(ui.workspace().catalog.event_types)
    if types is not None:
        shown = types.assign(properties=types["properties"].map(json.dumps))
        st.dataframe(shown, hide_index=True, width="stretch")
    with st.form("register_event"):
        st.markdown("**Register a custom event type** so segments and rules can use it.")
        left, right = st.columns(2)
        name = left.text_input("Name", placeholder="cart_abandoned", key="et_name")
        display = right.text_input("Display name", placeholder="Cart abandoned")
        props = st.text_input(
            "Properties", placeholder="value:number, items:number, coupon:string", key="et_props"
        )
        description = st.text_input("Description")
        if st.form_submit_button("Register", type="primary", key="et_register"):
            made = ui.attempt(
                ui.workspace().catalog.register_event_type,
                name.strip(),
                display_name=display or None,
                description=description or None,
                properties=_schema(props),
            )
            if made is not None:
                ui.invalidate()
                st.success(f"Registered {ui.literal(made.name)}.")


ui.header("Events", "Everything people did, newest first. Click an event to see its payload.")
stream, registry = st.tabs(["Event stream", "Event types"])
with stream:
    _list()
with registry:
    _registry()
