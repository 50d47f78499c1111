"""A segment that is one condition over per-profile rows (events, labels, identities, consent
log, list members) reads its members from those rows without joining every profile
(engine/compiler/core.py `_owned_rows`). That is only right while every such row belongs to an
existing profile: these tests take a workspace through merge, unmerge and erasure and check
the rule holds and the members equal those of the profiles-joined query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import Workspace
from engine.compiler.build import PER_PROFILE_TABLES

T0 = dt.datetime(2026, 3, 1, 9, 0)
AS_OF = T0 + dt.timedelta(days=10)

# expression -> the rows it is about, as SQL joined to profiles (what the shortcut replaces)
CASES: dict[str, str] = {
    "did purchase": "SELECT profile_id FROM events WHERE type = 'purchase'",
    "did page_view at least 2 times": "SELECT profile_id FROM events "
    "WHERE type = 'page_view' GROUP BY profile_id HAVING count(*) >= 2",
    "did page_view then purchase within 1 day": "SELECT a.profile_id FROM events a "
    "JOIN events b ON b.profile_id = a.profile_id AND b.ts >= a.ts "
    "AND b.ts <= a.ts + INTERVAL 1 DAY WHERE a.type = 'page_view' AND b.type = 'purchase'",
    'has label "vip"': "SELECT profile_id FROM labels WHERE label = 'vip'",
    "consent email is granted": "SELECT profile_id FROM consent_log WHERE channel = 'email' "
    "AND purpose = 'marketing' GROUP BY profile_id "
    "HAVING arg_max(status, (changed_at, id)) = 'granted'",
    'in segment "outreach"': "SELECT profile_id FROM list_members m JOIN segments s "
    "ON s.id = m.segment_id WHERE s.name = 'outreach'",
}


def _track(user: str, event: str, hours: int) -> dict[str, Any]:
    at = (T0 + dt.timedelta(hours=hours)).isoformat()
    return {"type": "track", "userId": user, "event": event, "timestamp": at}


@pytest.fixture
def churned(ws: Workspace) -> Workspace:
    """Five people with events, labels, consent and a group; then two merges, one undone,
    and an erasure of a merged person."""
    people = ["ana", "bo", "cy", "di", "ed"]
    messages = [
        {
            "type": "identify",
            "userId": u,
            "traits": {"email": f"{u}@example.com"},
            "timestamp": T0.isoformat(),
        }
        for u in people
    ]
    for i, user in enumerate(people):
        messages += [_track(user, "page_view", i), _track(user, "page_view", i + 2)]
        messages += [_track(user, "purchase", i + 3)] if i % 2 == 0 else []
    report = ws.ingest.messages(messages)
    assert report.rejected == []
    ids = {u: ws.profiles.resolve(f"{u}@example.com") for u in people}
    ws.labels.add([ids["ana"], ids["bo"], ids["di"]], "vip", actor="admin")
    for user in ("bo", "cy", "ed"):
        ws.consent.set(ids[user], "email", "granted", at=T0)
    ws.groups.create("outreach", profile_ids=[ids["bo"], ids["di"], ids["ed"]])
    ws.merges.merge(ids["ana"], ids["bo"], override=True)
    undone = ws.merges.merge(ids["cy"], ids["di"], override=True)
    ws.merges.unmerge(undone)
    ws.merges.merge(ids["ed"], ids["cy"], override=True)
    ws.privacy.erase(ids["ed"], actor="admin")
    return ws


def test_every_per_profile_row_belongs_to_a_profile(churned: Workspace) -> None:
    for table in sorted(PER_PROFILE_TABLES):
        orphans = churned.db.scalar(
            f"SELECT count(*) FROM {table} WHERE profile_id NOT IN (SELECT id FROM profiles)"
        )
        assert orphans == 0, f"{table} has rows of profiles that no longer exist"


@pytest.mark.parametrize("text", sorted(CASES))
def test_members_read_from_owned_rows_equal_the_profiles_join(
    churned: Workspace, text: str
) -> None:
    compiled = churned.segments.query(text, as_of=AS_OF)
    assert "profiles" not in compiled.sql()  # the shortcut is what this test is about
    joined = churned.db.rows(f"SELECT id FROM profiles WHERE id IN ({CASES[text]}) ORDER BY id")
    expected = [int(r[0]) for r in joined]
    assert expected, "the case must select someone, or it proves nothing"
    assert churned.segments.ids(text, as_of=AS_OF) == expected
