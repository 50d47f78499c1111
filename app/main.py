"""The Kith dashboard: page config and navigation only. Each screen lives in pages/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui import inbox_title

PAGES = Path(__file__).resolve().parent.parent / "pages"


def _page(name: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(PAGES / f"{name}.py", title=title, icon=icon, default=default)


st.set_page_config(page_title="Kith", page_icon=":material/hub:", layout="wide")
st.navigation(
    {
        "Marketing": [
            _page("overview", "Overview", ":material/dashboard:", default=True),
            _page("people", "People", ":material/groups:"),
            _page("profile", "Profile", ":material/person:"),
            _page("segments", "Segments", ":material/filter_alt:"),
        ],
        "Analytics": [
            _page("events", "Events", ":material/bolt:"),
            _page("funnels", "Funnels", ":material/filter_list:"),
            _page("goals", "Goals", ":material/flag:"),
            _page("trends", "Trends", ":material/show_chart:"),
            _page("retention", "Retention", ":material/event_repeat:"),
        ],
        "Management": [
            _page("rules", "Rules", ":material/rule:"),
            _page("inbox", inbox_title(), ":material/inbox:"),
            _page("consent", "Consent", ":material/verified_user:"),
            _page("properties", "Properties", ":material/tune:"),
            _page("transfer", "Import / Export", ":material/swap_vert:"),
        ],
        "Admin": [_page("settings", "Settings", ":material/settings:")],
    }
).run()
