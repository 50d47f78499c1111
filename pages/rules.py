"""Rules: automations that react to events, schedules and segment changes."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app import ui
from app.ui import views
from engine.clock import utcnow

EXAMPLE = 'when purchase where amount > 500 then add label "high-value"'


def _list() -> list[str]:
    rules = ui.attempt(ui.workspace().rules.overview)
    if rules is None or rules.empty:
        ui.empty_state("No rules yet", "Write one below, e.g. " + EXAMPLE)
        return []
    st.dataframe(
        rules,
        hide_index=True,
        width="stretch",
        column_config={
            "last_run": st.column_config.DatetimeColumn("Last run (UTC)"),
            "next_run": st.column_config.DatetimeColumn(
                "Next run (UTC)", help="schedule rules; the others run when their trigger happens"
            ),
            "firings": st.column_config.NumberColumn("Firings"),
            "failures": st.column_config.NumberColumn(
                "Failures", help="firings logged as an error or a refused property write"
            ),
        },
    )
    names = rules["name"].tolist()
    cols = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    name = cols[0].selectbox("Rule", names, key="rule_pick")
    service = ui.workspace().rules
    if cols[1].button("Enable", key="rule_enable") and ui.succeeded(service.enable, name):
        ui.done(f"Enabled rule {ui.literal(name)}.")
    if cols[2].button("Disable", key="rule_disable") and ui.succeeded(service.disable, name):
        ui.done(f"Disabled rule {ui.literal(name)}.")
    with cols[3].popover("Delete", icon=":material/delete:"):
        st.markdown(f"Delete **{ui.literal(name)}**? Its log stays.")
        delete = st.button("Delete rule", type="primary", key="rule_delete")
        if delete and ui.succeeded(service.delete, name):
            ui.done(f"Deleted rule {ui.literal(name)}; its log stays.")
    return names


def _editor() -> None:
    st.subheader("New rule", anchor=False)
    source = st.text_input("Rule", placeholder=EXAMPLE, key="rule_source", live="400ms")
    if not source.strip():
        st.caption(f"Try: `{EXAMPLE}`")
        return
    canonical = ui.attempt(views.check_rule, ui.workspace(), source)
    if canonical is None:
        return
    st.success("Valid rule.", icon=":material/check_circle:")
    st.code(canonical, language=None)
    with st.form("add_rule"):
        cols = st.columns([2, 1, 1], vertical_alignment="bottom")
        name = cols[0].text_input("Name", placeholder="tag_high_value")
        priority = cols[1].number_input("Priority", min_value=1, value=100, help="lower runs first")
        enabled = cols[2].checkbox("Enabled", value=True)
        if st.form_submit_button("Save rule", type="primary"):
            add = ui.workspace().rules.add
            if ui.succeeded(add, name.strip(), source, priority=int(priority), enabled=enabled):
                ui.done(f"Saved rule {ui.literal(name.strip())}.")


def _dry_run(names: list[str]) -> None:
    st.subheader("Dry run", anchor=False)
    st.markdown("What a rule would have done over a past period, without doing it.")
    cols = st.columns([2, 1], vertical_alignment="bottom")
    target = cols[0].selectbox(
        "Rule (or the text in the editor)", ["(editor)", *names], key="dry_rule"
    )
    days = cols[1].number_input("Past days", min_value=1, max_value=365, value=7, key="dry_days")
    if st.button("Dry run", icon=":material/science:", key="dry_run"):
        rule = st.session_state.get("rule_source", "") if target == "(editor)" else target
        end = utcnow()
        with st.spinner("Replaying…"):
            found = ui.attempt(
                views.rule_dry_run, ui.workspace(), rule, end - dt.timedelta(days=int(days)), end
            )
        if found is not None:
            _dry_run_result(found)


def _dry_run_result(found: views.DryRun) -> None:
    st.info(ui.literal(found.sentence), icon=":material/science:")
    if found.firings.empty:
        return
    st.dataframe(
        ui.with_names(found.firings),
        hide_index=True,
        width="stretch",
        column_config={
            **ui.person_columns(),
            "event": st.column_config.NumberColumn("Triggering event", format="#%d"),
            "ts": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def _log(names: list[str]) -> None:
    with st.expander("Log of firings", icon=":material/history:"):
        which = st.selectbox("Rule", ["All rules", *names], key="log_rule")
        log = ui.attempt(
            ui.workspace().rules.log, None if which == "All rules" else which, limit=200
        )
        if log is not None and log.empty:
            st.caption("No firings yet.")
        elif log is not None:
            shown = ui.with_names(log)
            st.dataframe(shown, hide_index=True, width="stretch", column_config=ui.person_columns())


def _deliveries() -> None:
    st.subheader("Webhook deliveries", anchor=False)
    status = st.radio(
        "Show", ["pending", "failed", "delivered"], index=1, horizontal=True, key="hook_status"
    )
    queue = ui.attempt(views.delivery_queue, ui.workspace(), status)
    if queue is None:
        return
    ui.kpis([ui.Kpi(name.title(), n) for name, n in queue.counts.items()])
    if queue.rows.empty:
        st.caption("No deliveries here.")
        return
    st.dataframe(queue.rows, hide_index=True, width="stretch")
    undelivered = queue.rows[queue.rows["status"] != "delivered"]["id"].tolist()
    if not undelivered:
        return
    cols = st.columns([3, 1], vertical_alignment="bottom")
    chosen = cols[0].selectbox("Delivery", undelivered, key="hook_pick")
    retry = cols[1].button("Retry now", icon=":material/replay:", key="hook_retry")
    if retry and ui.succeeded(ui.workspace().rules.retry_webhook, int(chosen)):
        ui.done(f"Delivery {chosen} is queued again; the server sends it within a second.")


ui.header("Rules", "When something happens, do something: labels, properties, lists, webhooks.")
ui.flash()
existing = _list()
_editor()
_dry_run(existing)
_log(existing)
_deliveries()
