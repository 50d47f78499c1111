"""The generator's frames on their own: determinism and realism, before any ingestion."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from engine.catalog import vocab
from engine.demo import DemoSpec, blocks
from engine.demo.campaigns import STEPS, schedule
from engine.demo.keys import IDENTITY_COLUMNS
from engine.demo.wire import for_ingest
from kith_errors import ValidationError

UNTIL = dt.date(2026, 3, 1)
SPEC = DemoSpec(profiles=1_500, days=60, seed=11, until=UNTIL)


@pytest.fixture(scope="module")
def block():
    (only,) = list(blocks(SPEC))
    return only


def test_same_seed_same_frames(block):
    (again,) = list(blocks(SPEC))
    pd.testing.assert_frame_equal(block.events, again.events)
    pd.testing.assert_frame_equal(block.people, again.people)
    pd.testing.assert_frame_equal(block.consent, again.consent)


def test_other_seed_other_frames(block):
    (other,) = list(blocks(DemoSpec(profiles=1_500, days=60, seed=12, until=UNTIL)))
    assert not block.people["name"].equals(other.people["name"])
    assert len(block.events) != len(other.events)


def test_large_demos_come_in_blocks_with_unique_message_ids():
    spec = DemoSpec(profiles=20_100, days=5, seed=3, until=UNTIL)
    parts = list(blocks(spec))
    assert [len(b.people) for b in parts] == [20_000, 100]
    assert parts[1].people["person"].iloc[0] == 20_000
    ids = pd.concat([b.events["message_id"] for b in parts])
    assert ids.is_unique


def test_events_lie_in_the_period_in_time_order(block):
    ts = block.events["timestamp"]
    assert ts.min() >= pd.Timestamp(SPEC.start)
    assert ts.max() < pd.Timestamp(SPEC.end) == pd.Timestamp("2026-03-01")
    assert ts.is_monotonic_increasing
    assert block.events["message_id"].is_unique


def test_every_event_carries_an_identity(block):
    carried = block.events[list(IDENTITY_COLUMNS)].notna().any(axis=1)
    assert carried.all()


def test_every_person_arrives_with_traits(block):
    arrivals = block.events[block.events["trait_name"].notna()]
    assert arrivals["person"].is_unique
    assert set(arrivals["person"]) == set(block.people["person"])
    assert set(arrivals["trait_lifecycle"]) <= set(vocab.LIFECYCLE_STAGES)
    assert set(arrivals["trait_source"]) == {"added_by_admin", "ads", "organic", "broadcast"}
    assert set(arrivals["trait_platform"]) == set(vocab.PLATFORMS)
    assert set(arrivals["trait_plan"]) == {"free", "pro", "team"}


def test_people_look_real(block):
    folks = block.people
    assert folks["phone_number"].str.fullmatch(r"\+[1-9]\d{7,14}").all()
    assert folks["email_address"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@[a-z.]+").all()
    assert folks["email_address"].is_unique and folks["phone_number"].is_unique
    assert set(folks["primary"]) == set(vocab.CHANNELS)
    assert folks["country"].nunique() >= 10 and folks["city"].nunique() >= 30
    for channel in ("instagram", "telegram", "line", "facebook", "tiktok", "widget"):
        assert folks[channel].notna().sum() > 20, channel


def test_all_event_kinds_and_channels_appear(block):
    kinds = set(block.events["type"])
    custom = {"cart_abandoned", "subscription_renewed", "support_ticket_opened", "csat_submitted"}
    assert set(vocab.STANDARD_EVENT_TYPES) - {"screen", "alias", "group", "session_started"} <= (
        kinds
    )
    assert custom <= kinds
    assert set(block.events["channel"]) <= set(vocab.CHANNELS)


def test_campaign_drop_off_is_monotone_and_ordered(block):
    events = block.events[block.events["type"].isin(STEPS)]
    names = [c.name for c in schedule(SPEC)]
    assert set(events["prop_campaign"]) == set(names) and len(names) == 12
    for name in names:
        mine = events[events["prop_campaign"] == name]
        when = [mine[mine["type"] == step].set_index("person")["timestamp"] for step in STEPS]
        assert [len(w) for w in when] == sorted((len(w) for w in when), reverse=True)
        assert len(when[-1]) < len(when[0])
        for before, after in itertools.pairwise(when):
            assert set(after.index) <= set(before.index)
            assert (after > before.loc[after.index]).all()


def test_campaigns_mostly_respect_consent(block):
    sent = block.events[block.events["type"] == "message_sent"]
    consent = block.consent.sort_values("timestamp")
    merged = pd.merge_asof(
        sent.sort_values("timestamp"), consent, on="timestamp", by=["person", "channel"]
    )
    granted = (merged["status"] == "granted").mean()
    assert 0.97 < granted < 1.0  # a few mistakes for the consent audit


def test_consent_revocations_follow_grants(block):
    log = block.consent
    grants = log[log["status"] == "granted"].set_index(["person", "channel"])["timestamp"]
    revokes = log[log["status"] == "revoked"].set_index(["person", "channel"])["timestamp"]
    assert len(revokes) > 0
    assert (revokes > grants.loc[revokes.index]).all()


def test_duplicates_need_joining(block):
    """Anonymous browsing before a login, and WhatsApp-only contacts confirmed later by phone."""
    events = block.events
    anon_only = events["anonymous_id"].notna() & events[["user_id", "email"]].isna().all(axis=1)
    login = events["anonymous_id"].notna() & events["email"].notna()
    joined = set(events.loc[anon_only, "person"]) & set(events.loc[login, "person"])
    assert len(joined) > 100
    ids = list(IDENTITY_COLUMNS)
    wa_only = events["whatsapp"].notna() & (events[ids].notna().sum(axis=1) == 1)
    assert wa_only.sum() > 20
    wa_people = events.loc[wa_only, "person"]
    first_wa = events[events["whatsapp"].notna()].groupby("person")["timestamp"].min()
    first_any = events.groupby("person")["timestamp"].min()
    assert (first_wa.loc[wa_people] > first_any.loc[wa_people]).all()


def test_commerce_values_are_plausible(block):
    events = block.events
    buys = events[events["type"] == "purchase"]
    assert (buys["prop_amount"] > 0).all() and buys["prop_order_id"].is_unique
    assert set(buys["prop_currency"]) == {"USD", "EUR", "GBP"}
    assert 20 < buys["prop_amount"].median() < 120
    scores = events.loc[events["type"] == "csat_submitted", "prop_score"]
    assert set(scores) == {1.0, 2.0, 3.0, 4.0, 5.0} and scores.mean() > 3.5
    value = events.loc[events["trait_lifetime_value"].notna()]
    assert (value["trait_lifetime_value"] > 0).all() and value["person"].is_unique


def test_default_size_is_about_forty_events_a_person():
    (b,) = list(blocks(DemoSpec(profiles=2_000, days=90, seed=7, until=UNTIL)))
    assert 30 < len(b.events) / 2_000 < 50
    per_day = b.events.groupby(b.events["timestamp"].dt.date).size()
    assert per_day.iloc[-7:].mean() > per_day.iloc[:7].mean()  # a growing audience
    assert np.isclose(per_day.sum(), len(b.events))


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"profiles": 0}, "--profiles"), ({"days": 0}, "--days"), ({"seed": -1}, "--seed")],
)
def test_bad_specs_say_which_option(kw, field):
    with pytest.raises(ValidationError, match=field):
        DemoSpec(**kw)


def test_properties_pack_into_valid_json(block):
    packed = for_ingest(block.events)
    assert "person" not in packed and not any(c.startswith("prop_") for c in packed)
    # a plain list: pandas would turn the parsed dicts into one Arrow struct column
    parsed = pd.Series([json.loads(text) for text in packed["properties"]], dtype=object)
    buys = block.events["type"] == "purchase"
    first = parsed[buys].iloc[0]
    assert set(first) == {"amount", "currency", "order_id"}
    assert first["amount"] == block.events.loc[buys, "prop_amount"].iloc[0]
    views = parsed[block.events["type"] == "page_view"]
    assert views.map(lambda p: p["url"].endswith(p["path"])).all()
    assert parsed[block.events["type"] == "identify"].map(len).eq(0).all()


def test_the_data_ends_at_todays_midnight_by_default():
    spec = DemoSpec(profiles=10, days=3)
    today = dt.datetime.now(dt.UTC).date()
    assert spec.end == dt.datetime(today.year, today.month, today.day)
    assert spec.start == spec.end - dt.timedelta(days=3)
    (b,) = list(blocks(spec))
    assert b.events["timestamp"].max() < pd.Timestamp(spec.end)


def test_paid_customers_renew_monthly_even_in_a_short_demo():
    (b,) = list(blocks(DemoSpec(profiles=2_000, days=30, seed=9, until=UNTIL)))
    renewed = b.events[b.events["type"] == "subscription_renewed"]
    assert len(renewed) > 20 and set(renewed["prop_plan"]) == {"pro", "team"}
    gaps = renewed.groupby("person")["timestamp"].diff().dropna()
    assert (gaps == pd.Timedelta(days=30)).all()
    payers = b.people.set_index("person").loc[renewed["person"]]
    assert set(payers["lifecycle"]) == {"customer"}
