"""The engagement summary on a profile's header (issue 15, item 9)."""

from __future__ import annotations

import datetime as dt

from engine import Workspace
from tests.profiles.helpers import T0, add_event


def test_the_summary_counts_the_persons_events_up_to_a_moment(ws: Workspace) -> None:
    ana = ws.profiles.create({"email": "ana@example.com"}).id
    other = ws.profiles.create({"email": "bo@example.com"}).id
    day = dt.timedelta(days=1)
    for kind, props, at in (
        ("message_sent", {}, T0),
        ("message_sent", {}, T0 + day),
        ("message_received", {}, T0 + day),
        ("purchase", {"amount": 120.5}, T0),
        ("purchase", {"amount": "30"}, T0 + day),
        ("purchase", {"amount": "lots"}, T0 + day),  # counted, but adds no value
        ("csat_submitted", {"score": 4}, T0),
        ("csat_submitted", {"score": 5}, T0 + day),
        ("support_ticket_opened", {}, T0),
        ("support_ticket_opened", {}, T0),
        ("support_ticket_closed", {}, T0 + day),
        ("page_view", {}, T0 + 2 * day),
    ):
        add_event(ws, ana, kind, at, properties=props)
    add_event(ws, other, "purchase", T0, properties={"amount": 999})
    now = ws.profiles.engagement(ana, as_of=T0 + 3 * day)
    assert now.model_dump() == {
        "profile_id": ana,
        "last_contact": T0 + 2 * day,
        "messages_in": 1,
        "messages_out": 2,
        "purchases": 3,
        "lifetime_value": 150.5,
        "average_csat": 4.5,
        "csat_responses": 2,
        "open_tickets": 1,
    }
    first_day = ws.profiles.engagement(ana, as_of=T0)
    assert (first_day.purchases, first_day.open_tickets, first_day.average_csat) == (1, 2, 4.0)


def test_a_quiet_profile_has_an_empty_summary(ws: Workspace) -> None:
    quiet = ws.profiles.create({"email": "quiet@example.com"}).id
    summary = ws.profiles.engagement(quiet)
    assert summary.last_contact is None and summary.average_csat is None
    assert (summary.purchases, summary.lifetime_value, summary.open_tickets) == (0, 0.0, 0)


def test_lifetime_value_is_an_exact_sum(ws: Workspace) -> None:
    """Amounts are summed as decimals: 166.17 + 19.42 + 14.41 is 200.0, not the
    199.99999999999997 that doubles added in this order give."""
    buyer = ws.profiles.create({"email": "buyer@example.com"}).id
    for amount in (166.17, 19.42, 14.41):
        add_event(ws, buyer, "purchase", T0, properties={"amount": amount})
    assert ws.profiles.engagement(buyer, as_of=T0).lifetime_value == 200.0
