"""Destinations: where audiences go, how deliveries are doing, the syncs and the broadcasts."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.ui import activation


def _destinations() -> None:
    health = ui.attempt(ui.workspace().activation.health)
    if health is None:
        return
    if health.empty:
        ui.empty_state("No destinations yet", "Create one to sync segments or send broadcasts.")
        return
    st.dataframe(health, hide_index=True, width="stretch")
    name = st.selectbox("Open destination", health["name"].tolist(), key="dest_open")
    shown = ui.attempt(ui.workspace().activation.destination, name)
    if shown is None:
        return
    st.caption(
        f"{ui.literal(shown.kind)} · channel {ui.literal(shown.channel or 'any')} · "
        f"secret {ui.literal(shown.secret or 'none')}"
    )
    st.json(shown.config, expanded=False)
    _manage(name)
    failures_only = st.toggle("Only dead deliveries", key="dest_dead")
    log = ui.attempt(
        ui.workspace().activation.deliveries, name, status="dead" if failures_only else None
    )
    if log is not None:
        st.dataframe(log, hide_index=True, width="stretch")


def _manage(name: str) -> None:
    ws = ui.workspace()
    if not ws.can("activation.manage"):
        return
    test, retry, delete = st.columns(3)
    if test.button("Send a test", icon=":material/send:", key="dest_test"):
        result = ui.attempt(ws.activation.test_destination, name)
        if result is not None and result["ok"]:
            st.success("The destination answered.")
        elif result is not None:
            st.error(f"It did not accept the test: {ui.literal(result['error'])}")
    if retry.button("Retry dead deliveries", icon=":material/replay:", key="dest_retry"):
        count = ui.attempt(ws.activation.retry_dead, name)
        if count is not None:
            st.success(f"{count} deliveries queued again.")
    deleting = delete.button("Delete destination", icon=":material/delete:", key="dest_delete")
    if deleting and ui.succeeded(ws.activation.delete_destination, name):
        st.rerun()


def _create() -> None:
    if not ui.workspace().can("activation.manage"):
        st.info("Only admins create destinations.")
        return
    form = activation.destination_form()
    if form is None:
        return
    made = ui.attempt(
        ui.workspace().activation.create_destination,
        form["name"],
        form["kind"],
        form["options"],
        channel=form["channel"],
        secret=form["secret"],
    )
    if made is None:
        return
    st.success(f"Created {ui.literal(made.name)}.")
    if made.signing_secret:
        st.warning("The signing secret, shown once; receivers verify X-Kith-Signature with it:")
        st.code(made.signing_secret, language=None)


def _syncs() -> None:
    if ui.workspace().can("activation.send"):
        activation.new_sync()
    syncs = ui.attempt(ui.workspace().activation.syncs)
    if not syncs:
        ui.empty_state("No syncs yet", "Start one above, or open a segment and use Sync to…")
        return
    st.dataframe(syncs, hide_index=True, width="stretch")


def _broadcasts() -> None:
    casts = ui.attempt(ui.workspace().activation.broadcasts)
    if casts is None or casts.empty:
        ui.empty_state("No broadcasts yet", "Open a segment and use Broadcast.")
        return
    st.dataframe(casts, hide_index=True, width="stretch")
    chosen = st.selectbox("Send log of", casts["id"].tolist(), key="dest_cast")
    log = ui.attempt(ui.workspace().activation.send_log, int(chosen))
    if log is not None:
        st.dataframe(log, hide_index=True, width="stretch")


ui.header("Destinations", "Where audiences go: webhooks, forwards, file drops and providers.")
ui.flash()
listing, create, syncs, broadcasts = st.tabs(["Destinations", "Create", "Syncs", "Broadcasts"])
with listing:
    _destinations()
with create:
    _create()
with syncs:
    _syncs()
with broadcasts:
    _broadcasts()
