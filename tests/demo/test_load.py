"""The demo loaded into real workspaces through the bulk ingestion path."""

from __future__ import annotations

import pandas as pd
import pytest

from engine import Workspace
from engine.admin.stats import workspace_stats

pytestmark = pytest.mark.xdist_group("demo")


def _event_owners(ws: Workspace) -> pd.DataFrame:
    return ws.db.df("SELECT message_id, profile_id FROM events WHERE message_id LIKE 'demo-%'")


def test_everything_generated_is_stored(loaded, frames):
    ws, report = loaded
    assert report.events == len(frames.events)
    stats = workspace_stats(ws)
    generated = frames.events["type"].value_counts().to_dict()
    stored = {k: v for k, v in stats["events_by_type"].items() if k != "session_started"}
    assert stored == generated
    assert stats["events_by_type"]["session_started"] == stats["sessions"] > 300
    assert report.sessions == stats["sessions"]  # blocks joining sessions earlier ones began


def test_every_person_is_exactly_one_profile(loaded, frames):
    """Anonymous browsing, logins and late WhatsApp contacts all resolve to the same profile."""
    ws, _ = loaded
    owners = frames.events[["message_id", "person"]].merge(_event_owners(ws), on="message_id")
    assert len(owners) == len(frames.events)
    assert (owners.groupby("person")["profile_id"].nunique() == 1).all()
    assert (owners.groupby("profile_id")["person"].nunique() == 1).all()
    assert workspace_stats(ws)["profiles"] == 300


def test_duplicates_were_joined(loaded, frames):
    """More raw identities than profiles: browsers and WhatsApp ids joined to known people."""
    ws, _ = loaded
    stats = workspace_stats(ws)
    by_type = stats["identities_by_type"]
    assert by_type["anonymous_id"] > 50 and by_type["whatsapp"] > 20
    assert stats["identities"] > 2 * stats["profiles"]
    anon = frames.events["anonymous_id"].dropna().unique()
    joined = ws.db.scalar(
        "SELECT count(DISTINCT i.value) FROM identities i JOIN identities o "
        "ON o.profile_id = i.profile_id AND o.type = 'email' "
        "WHERE i.type = 'anonymous_id' AND list_contains($anon, i.value)",
        {"anon": list(anon)},
    )
    assert joined == len(anon)


def test_the_live_tail_merges_duplicates_created_by_the_history(loaded):
    """The last day arrives as its own batch: people who identify then had a separate anonymous
    or WhatsApp-only profile from the history, and identity resolution merged it (undoably)."""
    ws, report = loaded
    assert workspace_stats(ws)["merges"] == report.profiles_merged > 0
    assert report.profiles_created - report.profiles_merged == 300
    merges = ws.db.df("SELECT primary_id, secondary_id, actor FROM merges")
    assert set(merges["actor"]) == {"identity_resolution"}
    assert not merges["secondary_id"].isin(ws.db.df("SELECT id FROM profiles")["id"]).any()


def test_profiles_carry_traits_and_typed_custom_properties(loaded, frames):
    ws, _ = loaded
    profiles = ws.db.df("SELECT name, country, lifecycle, plan, lifetime_value FROM profiles")
    assert profiles["name"].notna().all() and profiles["lifecycle"].notna().all()
    assert set(profiles["plan"]) == {"free", "pro", "team"}
    buyers = frames.events.loc[frames.events["trait_lifetime_value"].notna(), "person"].nunique()
    assert (profiles["lifetime_value"] > 0).sum() == buyers


def test_consent_labels_and_segments(loaded, frames):
    ws, report = loaded
    stats = workspace_stats(ws)
    assert stats["consent_changes"] == report.consent_changes == len(frames.consent)
    statuses = {key.split(":")[1] for key in stats["consent_by_status"]}
    assert statuses == {"granted", "denied", "revoked"}
    assert stats["labels_by_name"]["newsletter"] > 0
    assert set(ws.segments.list()["name"]) == set(report.segments)
    assert stats["segment_sizes"]["beta_testers"] == stats["labels_by_name"]["beta"]
    buyers = frames.events["trait_lifetime_value"].notna().sum()
    assert stats["labels_by_name"]["vip"] == max(1, round(0.03 * buyers))


def test_goals_and_rules_are_defined(loaded):
    ws, report = loaded
    stats = workspace_stats(ws)
    assert stats["goals"] == len(report.goals) == 3 and stats["rules"] == len(report.rules) == 3
    trial = ws.goals.report("Trial signup")
    assert 0 < trial.completions <= trial.starts


def test_same_seed_same_workspace(loaded, cli_run):
    """The CLI built the same spec into another file: every count is the same."""
    ws, _ = loaded
    with Workspace.open(cli_run.db, read_only=True) as again:
        first, second = workspace_stats(ws), workspace_stats(again)
    first.pop("file_bytes"), second.pop("file_bytes")
    assert first == second
