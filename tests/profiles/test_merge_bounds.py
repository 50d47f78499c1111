"""A merge by hand is held to the merge cap and the identity limits; an override of the limits
is recorded in the audit trail (issue 15, item 3)."""

from __future__ import annotations

import json

import pytest

from engine import Workspace
from kith_errors import Conflict, ValidationError


def _people(ws: Workspace, n: int) -> list[int]:
    return [ws.profiles.create({"email": f"p{i}@example.com"}).id for i in range(n)]


def _emails(ws: Workspace, profile_id: int) -> int:
    return int(
        ws.db.scalar(
            "SELECT count(*) FROM identities WHERE profile_id = $id AND type = 'email'",
            {"id": profile_id},
        )
    )


def test_the_sixth_email_is_refused_naming_the_limit(ws: Workspace) -> None:
    keep, *others = _people(ws, 11)
    for other in others[:4]:
        ws.merges.merge(keep, other)
    with pytest.raises(Conflict, match=r"6 email values; the email limit is 5") as err:
        ws.merges.merge(keep, others[4])
    assert err.value.details["limits"] == {"email": {"values": 6, "limit": 5}}
    assert _emails(ws, keep) == 5
    assert ws.profiles.get(others[4]).id == others[4]  # nothing moved


def test_an_override_merges_and_is_audited_but_the_cap_still_holds(ws: Workspace) -> None:
    keep, *others = _people(ws, 11)
    for other in others[:9]:
        ws.merges.merge(keep, other, override=True, actor="maria")
    assert _emails(ws, keep) == 10
    overrides = ws.db.rows(
        "SELECT actor, after FROM audit_log WHERE action = 'merge_override' ORDER BY id"
    )
    assert len(overrides) == 5  # the 6th to the 10th email
    assert overrides[-1][0] == "maria"
    assert json.loads(overrides[-1][1]) == {"email": {"values": 10, "limit": 5}}
    ws.merges.merge(keep, others[9], override=True)
    assert ws.merges.merged_count(keep) == 10
    with pytest.raises(Conflict, match=r"11 profiles merged into it; the merge cap is 10"):
        ws.merges.merge(keep, ws.profiles.create({"user_id": "late"}).id, override=True)


def test_the_cap_counts_what_was_merged_into_the_secondary(ws: Workspace) -> None:
    ws.settings.set_merge_cap(3)
    a, b, c, d, e = _people(ws, 5)
    ws.merges.merge(a, b)
    ws.merges.merge(c, d)
    ws.merges.merge(a, c)  # a now holds b, c and d
    with pytest.raises(Conflict, match="merge cap is 3"):
        ws.merges.merge(a, e)
    ws.merges.unmerge(ws.db.scalar("SELECT max(id) FROM merges"))  # c (with d) leaves a
    ws.merges.merge(a, e)
    assert ws.merges.merged_count(a) == 2


def test_the_merge_cap_setting_is_validated(ws: Workspace) -> None:
    assert ws.settings.merge_cap == 10
    with pytest.raises(ValidationError, match="merge cap"):
        ws.settings.set_merge_cap(0)
    ws.settings.set_merge_cap(25)
    assert ws.settings.as_dict()["merge_cap"] == 25
    ws.settings.reset()
    assert ws.settings.merge_cap == 10
