"""The Profile screen's additions for agents: the engagement summary and the channels (main
channel starred, settable) and the merged indicator in the header; finding the profile to merge
(search and duplicate suggestions); notes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui import fmt
from app.ui.data import invalidate, workspace
from app.ui.errors import attempt, succeeded
from app.ui.people_list import STAR
from app.ui.text import literal


def header(profile_id: int) -> None:
    """Engagement figures, channels with the main one starred, and merges, under the title."""
    ws = workspace()
    summary = attempt(ws.profiles.engagement, profile_id)
    if summary is not None:
        cols = st.columns(6)
        csat = "—" if summary.average_csat is None else f"{summary.average_csat:.1f}"
        cols[0].metric("Last contact", fmt.when(summary.last_contact))
        cols[1].metric("Messages in / out", f"{summary.messages_in} / {summary.messages_out}")
        cols[2].metric("Purchases", fmt.number(summary.purchases))
        cols[3].metric("Lifetime value", f"{summary.lifetime_value:,.2f}")
        cols[4].metric("Average CSAT", csat)
        cols[5].metric("Open tickets", fmt.number(summary.open_tickets))
    _channels(profile_id)
    _merged(profile_id)


def _channels(profile_id: int) -> None:
    ws = workspace()
    found = attempt(ws.channels.of, profile_id)
    if found is None or not found.channels:
        st.caption("Not on any channel yet.")
        return
    shown = [f"{c} {STAR}" if c == found.main else c for c in found.names]
    how = "set by hand" if found.main_set_by_hand else "proposed from activity"
    st.caption(f"Channels: {literal(', '.join(shown))} ({STAR} main channel, {how})")
    if not ws.can("people.edit"):
        return
    with st.popover("Main channel", icon=":material/star:"):
        index = found.names.index(found.main) if found.main in found.names else 0
        channel = st.selectbox("Main channel", found.names, index=index, key="main_channel")
        left, right = st.columns(2)
        chosen = left.button("Set", key="main_channel_set", type="primary")
        if chosen and succeeded(ws.channels.set_main, profile_id, channel):
            invalidate()
            st.rerun()
        clear = right.button("Use the proposal", key="main_channel_clear")
        if clear and succeeded(ws.channels.clear_main, profile_id):
            invalidate()
            st.rerun()


def _merged(profile_id: int) -> None:
    ws = workspace()
    count = attempt(ws.merges.merged_count, profile_id)
    if not count:
        return
    st.markdown(f":orange-badge[:material/call_merge: merged: {count} linked profile(s)]")
    merges = attempt(ws.merges.linked, profile_id)
    if merges is not None:
        live = merges[merges["undone_at"].isna() & (merges["primary_id"] == profile_id)]
        with st.expander("Linked profiles"):
            st.dataframe(
                live[["secondary_id", "merged_at", "actor", "id"]].rename(
                    columns={"secondary_id": "profile", "id": "merge"}
                ),
                hide_index=True,
                width="stretch",
            )


def merge_target(profile_id: int) -> int | None:
    """The profile to merge into this one: picked from a search by name, email or phone, or
    from the suggested duplicates."""
    ws = workspace()
    suggested = attempt(ws.profiles.duplicates, profile_id)
    text = st.text_input(
        "Find the profile to merge into this one",
        placeholder="name, email or phone…",
        key="merge_search",
    )
    found = attempt(ws.profiles.search, text, 10) if text.strip() else None
    options = _options(profile_id, found, suggested)
    if not options:
        st.caption("No suggested duplicates. Search by name, email or phone.")
        return None
    labels = list(options)
    picked = st.selectbox("Profile to merge in", labels, key="merge_target")
    return options.get(picked)


def _options(
    profile_id: int, found: pd.DataFrame | None, suggested: pd.DataFrame | None
) -> dict[str, int]:
    """Choice label -> profile id: the suggestions (with why), then the search's results."""
    options: dict[str, int] = {}
    for frame, why in ((suggested, True), (found, False)):
        if frame is None or frame.empty:
            continue
        for row in frame.itertuples():
            if int(row.id) == profile_id:
                continue
            reason = f" — {', '.join(row.reasons)}" if why else ""
            who = f"#{row.id} · {row.name or '(no name)'} · {row.email or row.phone or ''}"
            options.setdefault(who + reason, int(row.id))
    return options


def notes(profile_id: int) -> None:
    """The profile's notes, newest first; write one; change or delete your own."""
    ws = workspace()
    with st.form("new_note", clear_on_submit=True):
        body = st.text_area("New note", key="note_body")
        if st.form_submit_button("Add note", type="primary") and succeeded(
            ws.notes.add, profile_id, body
        ):
            st.rerun()
    found = attempt(ws.notes.of, profile_id)
    if found is None or found.empty:
        st.caption("No notes yet.")
        return
    for note in found.itertuples():
        _note(note, mine=note.author == ws.actor.name)


def _note(note: Any, *, mine: bool) -> None:
    ws = workspace()
    with st.container(border=True):
        edited = (
            "" if note.updated_at == note.created_at else f", edited {fmt.when(note.updated_at)}"
        )
        st.caption(f"{literal(note.author)} · {fmt.when(note.created_at)}{edited}")
        st.text(note.body)
        if not mine:
            return
        with st.popover("Edit", icon=":material/edit:"):
            text = st.text_area("Text", note.body, key=f"note_text_{note.id}")
            left, right = st.columns(2)
            if left.button("Save", key=f"note_save_{note.id}") and succeeded(
                ws.notes.edit, note.id, text
            ):
                st.rerun()
            if right.button("Delete", key=f"note_delete_{note.id}") and succeeded(
                ws.notes.delete, note.id
            ):
                st.rerun()
