"""Inbox: the notifications rules record (`then notify "..."`), newest first."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.ui import views


def _inbox() -> None:
    unread_only = st.toggle("Only unread", value=True, key="inbox_unread")
    inbox = ui.attempt(views.inbox, ui.workspace(), unread_only=unread_only)
    if inbox is None:
        return
    st.metric("Unread", ui.fmt.number(inbox.unread), border=True)
    if inbox.notifications.empty:
        ui.empty_state(
            "Nothing new" if unread_only else "No notifications yet",
            'Rules with `notify "..."` actions write here.',
        )
        return
    st.dataframe(inbox.notifications, hide_index=True, width="stretch")
    read = inbox.unread and st.button(
        "Mark all as read", icon=":material/done_all:", key="inbox_read"
    )
    if read and ui.succeeded(ui.workspace().rules.mark_read):
        st.rerun()


ui.header("Inbox", "What your rules asked to tell you, newest first.")
_inbox()
