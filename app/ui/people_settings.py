"""Settings of the People work (Settings > Identity keys): the merge cap and the lifecycle
stages."""

from __future__ import annotations

import streamlit as st

from app.ui.data import workspace
from app.ui.errors import guard
from engine.admin.settings import MAX_MERGE_CAP


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
