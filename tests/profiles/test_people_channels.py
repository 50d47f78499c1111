"""One meaning of channel (issue 15, item 12), the main channel (item 1) and the merged
indicator (item 2), on a real demo workspace and on small hand-made ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Workspace
from engine.catalog.vocab import CHANNELS
from engine.demo.load import build
from engine.demo.spec import DemoSpec
from engine.profiles.service import ProfileFilter
from kith_errors import DslNameError, ValidationError
from tests.profiles.helpers import T0, add_event

DEMO = DemoSpec(profiles=300, days=45, seed=5, until=dt.date(2026, 3, 1))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path_factory.mktemp("channels") / "kith.duckdb")
    build(ws, DEMO)
    yield ws
    ws.close()


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_people_filter_and_has_channel_count_the_same(demo: Workspace, channel: str) -> None:
    page = demo.profiles.list(ProfileFilter(channel=channel), limit=50)
    assert page.total == demo.segments.count(f"has channel {channel}")
    assert all(channel in shown for shown in page.rows["channels"])


def test_the_demo_has_people_on_a_channel_only_through_events(demo: Workspace) -> None:
    """`web` has no identity type: the old identity-only filter found nobody there."""
    on_web = demo.profiles.list(ProfileFilter(channel="web"), limit=0).total
    assert on_web > 0
    assert demo.db.scalar("SELECT count(*) FROM identities WHERE type = 'web'") == 0


def test_the_channel_filter_combines_with_a_segment_and_an_expression(demo: Workspace) -> None:
    """Three language filters compile as one expression (their parameters cannot clash)."""
    segment = demo.segments.list()["name"].iloc[0]
    both = ProfileFilter(channel="whatsapp", segment=segment, expression='country = "ID"')
    expected = demo.segments.count(
        f'has channel whatsapp and in segment "{segment}" and country = "ID"'
    )
    assert demo.profiles.list(both, limit=0).total == expected


def test_an_unknown_channel_is_an_error_with_a_suggestion(demo: Workspace) -> None:
    with pytest.raises(DslNameError, match="whatsapp"):
        demo.profiles.list(ProfileFilter(channel="whatsap"))


def test_the_main_channel_is_proposed_from_activity_and_set_by_hand(ws: Workspace) -> None:
    ana = ws.profiles.create({"email": "ana@example.com", "whatsapp": "+6281111111"}).id
    for minute in range(3):
        add_event(ws, ana, "message_read", T0 + dt.timedelta(minutes=minute), channel="whatsapp")
    add_event(ws, ana, "page_view", T0, channel="web")
    found = ws.channels.of(ana)
    assert found.names == ["whatsapp", "web", "email"]  # most used first; email: identity only
    assert (found.main, found.main_set_by_hand) == ("whatsapp", False)
    ws.channels.set_main(ana, "email", actor="maria")
    assert (ws.channels.of(ana).main, ws.channels.of(ana).main_set_by_hand) == ("email", True)
    row = ws.profiles.list(ProfileFilter(text="ana@"), limit=5).rows.iloc[0]
    assert row["main_channel"] == "email" and list(row["channels"]) == ["whatsapp", "web", "email"]
    with pytest.raises(ValidationError, match="not on 'telegram'"):
        ws.channels.set_main(ana, "telegram")
    ws.channels.clear_main(ana, actor="maria")
    assert ws.channels.of(ana).main == "whatsapp"
    audited = ws.db.rows(
        "SELECT actor, before, after FROM audit_log WHERE action = 'main_channel' ORDER BY id"
    )
    assert audited == [("maria", None, '"email"'), ("maria", '"email"', None)]


def test_nobody_active_has_no_proposed_main_channel(ws: Workspace) -> None:
    quiet = ws.profiles.create({"email": "quiet@example.com"}).id
    found = ws.channels.of(quiet)
    assert found.names == ["email"] and found.main is None


def test_the_list_shows_how_many_profiles_were_merged_into_each(ws: Workspace) -> None:
    a, b, c, d = (ws.profiles.create({"email": f"{n}@example.com"}).id for n in "abcd")
    ws.merges.merge(b, c)
    ws.merges.merge(a, b)  # a holds b, and c through b
    rows = ws.profiles.list(limit=10).rows.set_index("id")
    assert rows.loc[a, "merged"] == 2 and rows.loc[d, "merged"] == 0
    assert ws.merges.merged_count(a) == 2
    ws.merges.unmerge(ws.db.scalar("SELECT max(id) FROM merges"))
    assert ws.profiles.list(limit=10).rows.set_index("id").loc[a, "merged"] == 0


def test_a_main_channel_outlives_a_merge_and_an_erase_removes_it(
    ws: Workspace, tmp_path: Path
) -> None:
    a = ws.profiles.create({"email": "a@example.com"}).id
    b = ws.profiles.create({"email": "b@example.com", "sms": "+6282222222"}).id
    ws.channels.set_main(b, "sms")
    ws.merges.merge(a, b)
    assert ws.channels.of(a).names == ["email", "sms"] and ws.channels.of(a).main is None
    ws.merges.unmerge(ws.db.scalar("SELECT max(id) FROM merges"))
    assert ws.channels.of(b).main == "sms"
    ws.privacy.erase(b, actor="t")
    assert ws.db.scalar("SELECT count(*) FROM main_channels") == 0
