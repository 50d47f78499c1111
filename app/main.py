"""The Kith dashboard: page config and navigation only. Each screen lives in pages/; the menu
(app/ui/menu.py) holds the screens the logged-in user's role may use."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui.menu import sections

ICON = Path(__file__).resolve().parent / "static" / "kith.png"  # local: no favicon from a CDN

st.set_page_config(page_title="Kith", page_icon=str(ICON), layout="wide")
st.navigation(sections()).run()
