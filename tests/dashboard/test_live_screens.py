"""The screens that show what the automations did: the Rules screen (last and next run,
firings, failures, the webhook delivery queue with its retry), the Inbox, the Segments list's
7-day trend and last refresh, and the clock's Settings."""

from __future__ import annotations

import datetime as dt

from app.ui import inbox_title
from engine import Workspace
from tests.analytics.messages import identify, track
from tests.dashboard.conftest import Screen
from tests.dashboard.test_screens import no_errors

CLOSED_PORT = "http://127.0.0.1:9/closed"


def test_rules_screen_shows_runs_firings_and_failures(empty: Workspace, screen: Screen) -> None:
    empty.catalog.define_property("plan", "string", enum=["free", "pro"])
    empty.rules.add("nightly", 'every day then add label "seen"')
    empty.rules.add("upgrade", 'when purchase then set plan = "gold"')
    empty.ingest.messages([identify("u1"), identify("u2"), track("u1", "purchase")])
    ran = dt.datetime(2030, 1, 1, 3)
    assert empty.rules.run_schedules(ran) == {"nightly": 2}
    at = screen("rules")
    no_errors(at)
    shown = at.dataframe[0].value.set_index("name")
    assert shown.loc["nightly", ["firings", "failures"]].tolist() == [2, 0]
    assert shown.loc["nightly", "last_run"] == ran
    assert shown.loc["nightly", "next_run"] == ran + dt.timedelta(days=1)
    assert shown.loc["upgrade", ["firings", "failures"]].tolist() == [1, 1]
    assert shown.loc["upgrade", "trigger"] == "when purchase"


def test_a_failed_delivery_can_be_retried_from_the_queue(empty: Workspace, screen: Screen) -> None:
    empty.rules.add("hook", f'when signup then call webhook "{CLOSED_PORT}"')
    empty.ingest.messages([track("u1", "signup")])
    empty.rules.deliver_webhooks(dt.datetime(2030, 1, 1), max_attempts=1, timeout=5)
    at = screen("rules")
    no_errors(at)
    assert [m.value for m in at.metric] == ["0", "0", "1"]  # pending, delivered, failed
    queue = at.dataframe[-1].value
    assert queue["status"].tolist() == ["failed"]
    assert queue["last_error"].str.contains("Connect").all()
    at.button(key="hook_retry").click().run()
    no_errors(at)
    pending = empty.rules.webhooks("pending")
    assert pending["id"].tolist() == queue["id"].tolist()
    assert pending["attempts"].tolist() == [1]  # the attempts so far are kept


def test_the_inbox_counts_unread_notifications_and_marks_them_read(
    empty: Workspace, screen: Screen
) -> None:
    empty.rules.add("tell", 'when purchase then notify "big spender"')
    empty.ingest.messages([track("u1", "purchase"), track("u2", "purchase")])
    assert inbox_title() == "Inbox (2 unread)"
    at = screen("inbox")
    no_errors(at)
    assert at.metric[0].value == "2"
    assert at.dataframe[0].value["message"].tolist() == ["big spender", "big spender"]
    at.button(key="inbox_read").click().run()
    no_errors(at)
    assert at.metric[0].value == "0"
    assert empty.rules.unread() == 0
    assert inbox_title() == "Inbox"
    at.toggle(key="inbox_unread").set_value(False).run()
    assert len(at.dataframe[0].value) == 2  # read ones stay, shown when asked


def test_segments_list_shows_the_7_day_trend_and_last_refresh(
    empty: Workspace, screen: Screen
) -> None:
    empty.ingest.messages([identify(f"u{i}", country="ID") for i in range(3)])
    empty.segments.save("indonesia", expression='country = "ID"')
    empty.ingest.messages([identify("u0", country="US"), identify("u9", country="ID")])
    at = screen("segments")
    no_errors(at)
    shown = at.dataframe[0].value.set_index("name")
    assert shown.loc["indonesia", "size"] == 3
    assert shown.loc["indonesia", "trend"] == 3  # 4 entered (3 on save, 1 since), 1 left
    refreshed = empty.segments.get("indonesia")["refreshed_at"]
    assert shown.loc["indonesia", "refreshed_at"] == refreshed


def test_settings_change_the_clock(empty: Workspace, screen: Screen) -> None:
    at = screen("settings")
    no_errors(at)
    at.number_input(key="clock_refresh").set_value(60)
    at.number_input(key="clock_backoff").set_value(5)
    at.number_input(key="clock_attempts").set_value(3)
    at.button(key="clock_save").click().run()
    no_errors(at)
    settings = empty.settings
    assert (settings.time_refresh_seconds, settings.webhook_backoff_seconds) == (60, 5)
    assert settings.webhook_max_attempts == 3
