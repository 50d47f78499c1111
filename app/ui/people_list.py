"""The People list's additions for agents: the main channel starred beside the channels, the
merged indicator, and groups made from ticked rows or from every result of the filters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.data import invalidate, workspace
from app.ui.errors import attempt
from app.ui.text import literal
from engine.profiles.service import ProfileFilter

STAR = "★"
NEW_GROUP = "New group…"


def shown(rows: pd.DataFrame) -> pd.DataFrame:
    """A page of the list as shown: the main channel starred among the channels, and how many
    profiles were merged into each person (blank: none)."""
    if rows.empty or "main_channel" not in rows:
        return rows
    starred = [
        ", ".join(f"{c} {STAR}" if c == main else c for c in channels)
        for channels, main in zip(rows["channels"], rows["main_channel"], strict=True)
    ]
    merged = rows["merged"].map(lambda n: f"merged ×{n}" if n else "")
    return rows.drop(columns=["main_channel"]).assign(channels=starred, merged=merged)


def group_actions(
    rows: pd.DataFrame, ticked: list[int], filters: ProfileFilter, total: int
) -> None:
    """Put the ticked people, or everyone the filters match, into a group (new or existing),
    or take the ticked ones out of one."""
    ws = workspace()
    if not ws.can("people.groups"):
        return
    ids = [int(rows.iloc[i]["id"]) for i in ticked if i < len(rows)]
    with st.expander(f"Groups: {len(ids)} ticked", icon=":material/group_add:"):
        groups = attempt(ws.groups.list)
        names = [] if groups is None else groups["name"].tolist()
        left, right = st.columns(2)
        choice = left.selectbox("Group", [NEW_GROUP, *names], key="group_pick")
        new = right.text_input("New group's name", key="group_new", disabled=choice != NEW_GROUP)
        name = new.strip() if choice == NEW_GROUP else choice
        cols = st.columns(3)
        if cols[0].button(f"Add {len(ids)} ticked", disabled=not ids, key="group_add_ticked"):
            _into(name, choice == NEW_GROUP, ids, None)
        if cols[1].button(f"Add all {total:,} results", disabled=not total, key="group_add_all"):
            _into(name, choice == NEW_GROUP, [], filters)
        out = choice == NEW_GROUP or not ids
        if cols[2].button(f"Remove {len(ids)} ticked", disabled=out, key="group_remove"):
            removed = attempt(ws.groups.remove, name, ids)
            if removed is not None:
                invalidate()
                st.success(f"Removed {removed:,} from {literal(name)}.")


def _into(name: str, new: bool, ids: list[int], filters: ProfileFilter | None) -> None:
    ws = workspace()
    if new:
        made = attempt(ws.groups.create, name, profile_ids=ids, matching=filters)
        added = None if made is None else int(made["size"])
    else:
        added = attempt(ws.groups.add, name, ids, matching=filters)
    if added is not None:
        invalidate()
        st.success(f"{literal(name)}: {added:,} people added.")
