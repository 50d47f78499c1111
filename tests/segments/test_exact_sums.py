"""Sums and averages of money-like event values are exact decimals: the same answer on every
run, whatever order DuckDB's threads add the values in (issue 13)."""

from __future__ import annotations

import datetime as dt

from engine import Workspace

AS_OF = dt.datetime(2026, 3, 1)


def _purchases(ws: Workspace, user: str, amounts: list[float]) -> None:
    ws.ingest.messages(
        {
            "type": "track",
            "event": "purchase",
            "userId": user,
            "messageId": f"{user}-{i}",
            "timestamp": (AS_OF - dt.timedelta(days=1, minutes=i)).isoformat() + "Z",
            "properties": {"amount": amount},
        }
        for i, amount in enumerate(amounts)
    )


def _users(ws: Workspace, text: str) -> set[str]:
    members = ws.segments.members(text, as_of=AS_OF, limit=100)
    return {i["value"] for ids in members["identities"] for i in ids if i["type"] == "user_id"}


def test_ten_purchases_of_ten_cents_total_exactly_one(ws: Workspace) -> None:
    _purchases(ws, "tens", [0.10] * 10)  # as doubles, added in order: 0.9999999999999999
    _purchases(ws, "short", [0.10] * 9 + [0.09])
    assert _users(ws, "total amount of purchase >= 1") == {"tens"}
    assert _users(ws, "total amount of purchase = 1") == {"tens"}
    assert _users(ws, "average amount of purchase = 0.1") == {"tens"}


def test_the_flickering_total_is_the_same_on_fifty_runs(ws: Workspace) -> None:
    """14.41 + 166.17 + 19.42 is 200.0 or 199.99999999999997 in doubles, by addition order."""
    _purchases(ws, "flicker", [14.41, 166.17, 19.42])
    _purchases(ws, "below", [14.41, 166.17, 19.41])
    text = "total amount of purchase in last 14 days >= 200"
    answers = {frozenset(_users(ws, text)) for _ in range(50)}
    assert answers == {frozenset({"flicker"})}
