"""Profile: one person in full — properties, timeline, sessions, segments, labels, consent —
plus creating, merging, unmerging and erasing profiles."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from app import ui
from app.ui import people_profile, views
from app.ui.views import ProfileDetail
from engine.catalog.vocab import CHANNELS


def _finder() -> None:
    """No profile chosen yet: search for one, or create one."""
    text = st.text_input(
        "Find a person", placeholder="name, email, phone or any identity…", live="300ms"
    )
    found = ui.attempt(views.find_profiles, ui.workspace(), text)
    if found is not None and not found.empty:
        for row in found.head(10).itertuples():
            label = f"#{row.id} · {ui.literal(row.name or '(no name)')} · {ui.literal(row.email)}"
            if st.button(label, key=f"pick_{row.id}"):
                ui.open_profile(int(row.id))
    elif text.strip():
        ui.empty_state("Nobody matches", "Try part of an email address or a phone number.")
    with st.expander("Create a profile", icon=":material/person_add:"):
        _create_form()


def _create_form() -> None:
    with st.form("create_profile"):
        kind = st.selectbox("Identity type", ["email", "phone", "user_id", "whatsapp"])
        value = st.text_input("Identity value")
        name = st.text_input("Name")
        if st.form_submit_button("Create", type="primary"):
            props = {"name": name} if name.strip() else None
            made = ui.attempt(ui.workspace().profiles.create, {kind: value}, props)
            if made is not None:
                ui.invalidate()
                ui.open_profile(made.id)


def _heading(detail: ProfileDetail) -> None:
    p = detail.profile
    st.title(ui.literal(p.name or p.email or p.phone or f"Profile #{p.id}"), anchor=False)
    st.caption(
        f"#{p.id} · {ui.literal(p.lifecycle or 'no stage')} · "
        f"{ui.literal(p.country or 'no country')} · "
        f"first seen {ui.fmt.when(p.first_seen)} · last seen {ui.fmt.when(p.last_seen)}"
    )
    chips = " ".join(f":blue-badge[{ui.literal(label)}]" for label in detail.labels)
    chips += " " + " ".join(f":green-badge[{ui.literal(name)}]" for name in detail.segments)
    st.markdown(chips.strip() or ":gray[No labels or segments yet.]")
    people_profile.header(p.id)
    ui.flash()


def _properties(detail: ProfileDetail) -> None:
    pid = detail.profile.id
    with st.form("edit_profile"):
        edited = st.data_editor(
            detail.editable,
            key=f"fields_{pid}",  # edits never carry over to another person
            hide_index=True,
            disabled=["field", "type"],
            width="stretch",
            height=36 * (len(detail.editable) + 1) + 4,  # every field visible, no inner scroll
        )
        if st.form_submit_button("Save changes", type="primary"):
            changes = views.profile_changes(detail.editable, edited)
            if not changes:
                st.info("Nothing changed.")
            elif ui.succeeded(ui.workspace().profiles.update, pid, changes):
                st.session_state.pop(f"fields_{pid}", None)  # the saved values are the new start
                ui.done(f"Saved {ui.literal(', '.join(changes))}.")
    st.markdown("**Identities**")
    st.dataframe(detail.identities, hide_index=True, width="stretch")
    st.markdown("**Field history**")
    if detail.history.empty:
        st.caption("No edits yet.")
    else:
        st.dataframe(ui.readable(detail.history), hide_index=True, width="stretch")


def _timeline(detail: ProfileDetail) -> None:
    if detail.timeline.empty:
        ui.empty_state("No events for this person yet")
        return
    left, right = st.columns([2, 1])
    options = sorted(detail.timeline["type"].unique())
    types = left.multiselect("Event types", options, key="tl_types")
    days = right.date_input("Between", value=[], key="tl_dates", format="YYYY-MM-DD")
    shown = _filtered_timeline(detail, types, days)
    if shown is None or shown.empty:
        st.caption("No events match these filters.")
        return
    event = ui.pick_event(shown, key="tl_table")
    if event is not None:
        _event_detail(event)


def _filtered_timeline(
    detail: ProfileDetail, types: list[str], days: tuple[dt.date, ...]
) -> pd.DataFrame | None:
    """The recent timeline as loaded, or, with filters, the matching events from the store."""
    if not types and not days:
        return detail.timeline
    start = dt.datetime.combine(days[0], dt.time()) if days else None
    end = dt.datetime.combine(days[-1], dt.time()) + dt.timedelta(days=1) if days else None
    timeline = ui.workspace().profiles.timeline
    return ui.attempt(timeline, detail.profile.id, types or None, start, end, limit=500)


def _event_detail(event: pd.Series) -> None:
    with st.container(border=True):
        st.markdown(f"**{ui.literal(event['type'])}** at {ui.fmt.when(event['ts'])}")
        st.json(_parsed(event.get("properties")), expanded=True)
        session = event.get("session_id")
        if session and st.button("Show this session", icon=":material/timeline:"):
            st.session_state["session"] = session


def _parsed(raw: object) -> object:
    return json.loads(raw) if isinstance(raw, str) else raw


def _sessions(detail: ProfileDetail) -> None:
    if detail.sessions.empty:
        ui.empty_state("No sessions yet")
        return
    st.dataframe(detail.sessions, hide_index=True, width="stretch")
    ids = detail.sessions["id"].tolist()
    chosen = st.session_state.get("session")
    index = ids.index(chosen) if chosen in ids else 0
    session = st.selectbox("Events of session", ids, index=index, key="session_pick")
    events = ui.attempt(ui.workspace().profiles.session_events, session)
    if events is not None:
        st.dataframe(events, hide_index=True, width="stretch")


def _segments(detail: ProfileDetail) -> None:
    if not detail.segments:
        ui.empty_state("Not in any saved segment", "Segments are defined on the Segments screen.")
        return
    st.dataframe(pd.DataFrame({"segment": detail.segments}), hide_index=True, width="stretch")


def _labels(detail: ProfileDetail) -> None:
    pid = detail.profile.id
    st.markdown(" ".join(f":blue-badge[{ui.literal(x)}]" for x in detail.labels) or "No labels.")
    with st.form("labels"):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        label = left.text_input("Label")
        remove = right.toggle("Remove")
        if st.form_submit_button("Apply"):
            act = ui.workspace().labels.remove if remove else ui.workspace().labels.add
            if ui.succeeded(act, pid, label):
                verb = "Removed label" if remove else "Added label"
                ui.done(f"{verb} “{ui.literal(label.strip())}”.")


def _consent(detail: ProfileDetail) -> None:
    pid = detail.profile.id
    if detail.consent.empty:
        st.caption("No consent recorded: every channel is unknown.")
    else:
        st.dataframe(detail.consent, hide_index=True, width="stretch")
    with st.form("consent"):
        cols = st.columns(2)
        channel = cols[0].selectbox("Channel", list(CHANNELS))
        status = cols[1].selectbox("Status", ["granted", "denied", "revoked"])
        if st.form_submit_button("Record consent"):
            record = ui.workspace().consent.set
            if ui.succeeded(record, pid, channel, status, source="admin"):
                ui.done(f"Recorded {channel} consent: {status}.")


def _merge(detail: ProfileDetail) -> None:
    pid = detail.profile.id
    other = people_profile.merge_target(pid)
    clicked = st.button("Preview merge", key="merge_preview", disabled=other is None)
    if clicked and other is not None:
        st.session_state["merge"] = ui.attempt(ui.workspace().merges.preview, pid, other)
    preview = st.session_state.get("merge")
    if preview is not None and preview.primary.id == pid:
        ui.merge_preview(preview)
    if not detail.merges.empty:
        st.markdown("**Merges involving this profile**")
        st.dataframe(detail.merges, hide_index=True, width="stretch")
        ui.unmerge_picker(detail.merges)


def _privacy(detail: ProfileDetail) -> None:
    pid = detail.profile.id
    if ui.workspace().can("people.export"):
        _export_person(pid)
    if ui.workspace().can("people.erase"):
        _erase(pid)
    else:
        st.caption("Erasing a person is for admins.")


def _export_person(pid: int) -> None:
    st.markdown("**Access request**: everything Kith holds about this person.")
    if st.button("Prepare export"):
        data = ui.attempt(ui.workspace().privacy.export, pid)
        if data is not None:
            payload = json.dumps(data, default=str, indent=2)
            st.download_button("Download JSON", payload, f"profile-{pid}.json", "application/json")


def _erase(pid: int) -> None:
    st.markdown("**Erase** removes this person and everything about them. It cannot be undone.")
    typed = st.text_input(f"Type ERASE {pid} to confirm", key="erase_confirm")
    confirmed = typed.strip() == f"ERASE {pid}"
    erase = st.button("Erase profile", type="primary", disabled=not confirmed)
    if erase and ui.with_progress("Erasing", ui.workspace().privacy.erase, pid) is not None:
        st.session_state.pop("profile_id", None)
        st.session_state.pop("erase_confirm", None)
        st.query_params.clear()
        ui.done(f"Profile #{pid} was erased, with everything Kith held about them.")


def _detail(profile_id: int) -> None:
    detail = ui.attempt(views.profile_detail, ui.workspace(), profile_id)
    if detail is None:
        if st.button("Choose another profile"):
            st.session_state.pop("profile_id", None)
            st.query_params.clear()
            st.rerun()
        return
    _heading(detail)
    tabs = {
        "Properties": _properties,
        "Timeline": _timeline,
        "Sessions": _sessions,
        "Segments": _segments,
        "Labels": _labels,
        "Consent": _consent,
        "Notes": lambda d: people_profile.notes(d.profile.id),
        "Merge": _merge,
        "Privacy": _privacy,
    }
    # the open tab is kept in the session, so it stays open when an action redraws the screen
    shown = st.tabs(list(tabs), key="profile_tab", on_change="rerun")
    for tab, render in zip(shown, tabs.values(), strict=True):
        with tab:
            render(detail)


chosen = ui.selected_profile()
if chosen is None:
    ui.header("Profile", "Find a person to see everything Kith knows about them.")
    ui.flash()
    _finder()
else:
    _detail(chosen)
