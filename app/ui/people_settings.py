"""Settings of the People work (Settings > Identity keys): the merge cap, the lifecycle
stages, and what ingestion does with events of unregistered types and with properties an
enforced event type's schema does not list."""

from __future__ import annotations

import streamlit as st

from app.ui.data import workspace
from app.ui.errors import guard
from engine.admin.settings import MAX_MERGE_CAP
from engine.catalog.event_types import UNDECLARED_POLICIES


def merge_cap() -> None:
    """How many profiles a merge by hand may fold into one profile."""
    ws = workspace()
    with st.form("merge_cap"):
        cap = st.number_input(
            "Merge cap: profiles merged by hand into one profile, at most",
            min_value=1,
            max_value=MAX_MERGE_CAP,
            value=ws.settings.merge_cap,
            key="merge_cap",
        )
        if st.form_submit_button("Save merge cap", key="merge_cap_save"):
            with guard():
                ws.settings.set_merge_cap(int(cap))
                st.success(f"At most {int(cap)} profiles can now be merged into one.")


def lifecycle_stages() -> None:
    """The lifecycle stages a profile may take, one per line, in order."""
    ws = workspace()
    with st.form("lifecycle_stages"):
        text = st.text_area(
            "Lifecycle stages, one per line (new values are checked against them)",
            "\n".join(ws.settings.lifecycle_stages),
            key="lifecycle_stages",
        )
        if st.form_submit_button("Save lifecycle stages", key="lifecycle_save"):
            with guard():
                ws.settings.set_lifecycle_stages([s for s in text.splitlines() if s.strip()])
                st.success("Lifecycle stages saved.")


_UNDECLARED_LABELS = {
    "unregistered_types": "Events of an unregistered type",
    "extra_properties": "Properties an enforced event type's schema does not list",
}


def event_schema_choices() -> None:
    """accept / warn (stored and flagged) / block (refused with the reason), for events of an
    unregistered type and for extra properties; the same choice on every way in."""
    ws = workspace()
    current = ws.catalog.undeclared()
    with st.form("event_schema_choices"):
        st.caption(
            "Incoming events: accept stores them as they are, warn stores and flags them "
            "(Events screen), block refuses them with the reason."
        )
        chosen = {
            which: st.selectbox(
                label,
                UNDECLARED_POLICIES,
                index=UNDECLARED_POLICIES.index(current[which]),
                key=f"undeclared_{which}",
            )
            for which, label in _UNDECLARED_LABELS.items()
        }
        if st.form_submit_button("Save event checks", key="undeclared_save"):
            with guard():
                for which, policy in chosen.items():
                    ws.catalog.set_undeclared(which, policy)
                st.success("Event checks saved.")
