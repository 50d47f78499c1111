"""Events: the newest events first, filtered, with full detail; and the event-type registry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import streamlit as st

from app import ui
from engine.catalog.event_types import DEFAULT_POLICY, POLICIES
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
    """`amount:number, plan:text` -> {"amount": "number", "plan": "text"} (a name alone: text)."""
    pairs = [p.split(":", 1) for p in text.split(",") if p.strip()]
    return {k.strip(): (v[0].strip() if v else "string") for k, *v in pairs}


def _registry() -> None:
    types = ui.attempt(ui.workspace().catalog.event_types)
    if types is not None:
        shown = types.assign(properties=types["properties"].map(json.dumps))
        flagged = int(types["flagged"].sum())
        st.caption(
            f"{ui.fmt.number(flagged)} stored events of registered types were flagged for "
            "breaking their schema (enforcement warn); the Flagged tab lists every flag."
        )
        st.dataframe(shown, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        _register_form()
    with right:
        _extend_form(types)
        _enforcement_form(types)


def _register_form() -> None:
    with st.form("register_event"):
        st.markdown("**Register a custom event type** so segments and rules can use it.")
        name = st.text_input("Name", placeholder="cart_abandoned", key="et_name")
        display = st.text_input("Display name", placeholder="Cart abandoned")
        props = st.text_input(
            "Properties", placeholder="value:number, items:number, coupon:text", key="et_props"
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


def _extend_form(types: pd.DataFrame | None) -> None:
    names = [] if types is None else types["name"].tolist()
    with st.form("extend_event"):
        st.markdown("**Add properties** to an event type, built-in ones too.")
        name = st.selectbox("Event type", names, key="ext_type")
        props = st.text_input("Properties", placeholder="platform:text", key="ext_props")
        if st.form_submit_button("Add properties", key="ext_submit") and name:
            made = ui.attempt(ui.workspace().catalog.extend_event_type, name, _schema(props))
            if made is not None:
                ui.invalidate()
                st.success(f"{ui.literal(made.name)} now has {len(made.properties)} properties.")


def _enforcement_form(types: pd.DataFrame | None) -> None:
    names = [] if types is None else types["name"].tolist()
    with st.form("enforce_event"):
        st.markdown("**Enforce a schema** on ingestion: warn stores and flags, block refuses.")
        name = st.selectbox("Event type", names, key="enf_type")
        start = POLICIES.index(DEFAULT_POLICY)  # what a type nobody chose for is under
        policy = st.radio("Policy", list(POLICIES), index=start, horizontal=True, key="enf_policy")
        if st.form_submit_button("Apply", key="enf_submit") and name:
            done = ui.attempt(ui.workspace().catalog.set_enforcement, name, policy)
            if done is not None:
                ui.invalidate()
                st.success(f"{ui.literal(name)}: enforcement {done}.")


def _discovered() -> None:
    st.caption(
        "Event types and properties the stored events hold that nobody registered, with how "
        "often and when they were seen. Finding them reads every event's properties once."
    )
    if st.button("Find unregistered types and properties", key="disc_scan"):
        st.session_state["disc_found"] = ui.attempt(ui.workspace().catalog.discovered)
    found = st.session_state.get("disc_found")
    if found is None:
        return
    if found.empty:
        ui.empty_state("Everything in the data is registered", "Nothing to add.")
        return
    st.dataframe(found, hide_index=True, width="stretch")
    choices = sorted(set(found["event_type"]))
    chosen = st.multiselect("Event types to register", choices, default=choices, key="disc_pick")
    if st.button(
        "Register from the data", type="primary", key="disc_register", disabled=not chosen
    ):
        done = ui.attempt(ui.workspace().catalog.register_from_data, chosen)
        if done is not None:
            ui.invalidate()
            st.session_state["disc_found"] = None
            st.success(f"Registered or extended {len(done)} event type(s).")
            st.dataframe(done.astype(str), hide_index=True, width="stretch")


def _flagged() -> None:
    flagged = ui.attempt(ui.workspace().catalog.flagged_events)
    if flagged is None:
        return
    if flagged.empty:
        ui.empty_state("No flagged events", "Events of a `warn` type that break it show here.")
        return
    st.dataframe(flagged, hide_index=True, width="stretch")


ui.header("Events", "Everything people did, newest first. Click an event to see its payload.")
stream, registry, discovered, flagged = st.tabs(
    ["Event stream", "Event types", "Discovered", "Flagged"]
)
with stream:
    _list()
with registry:
    _registry()
with discovered:
    _discovered()
with flagged:
    _flagged()
