"""The dashboard's navigation: the screens the logged-in user's role may use (the engine
refuses the others' actions anyway), and their name and a way out in the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui.nav import inbox_title
from app.ui.session import account, acting

PAGES = Path(__file__).resolve().parents[2] / "pages"


def _page(name: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(PAGES / f"{name}.py", title=title, icon=icon, default=default)


def sections() -> dict[str, list[st.Page]]:
    ws = acting()
    menu = {
        "Marketing": [
            _page("overview", "Overview", ":material/dashboard:", default=True),
            _page("people", "People", ":material/groups:"),
            _page("profile", "Profile", ":material/person:"),
            _page("segments", "Segments", ":material/filter_alt:"),
            _page("destinations", "Destinations", ":material/send:"),
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
        ],
    }
    if ws.can("data.import") or ws.can("data.export"):
        menu["Management"].append(_page("transfer", "Import / Export", ":material/swap_vert:"))
    if ws.can("users.manage"):
        menu["Admin"] = [_page("settings", "Settings", ":material/settings:")]
    account(st.sidebar)
    return menu
