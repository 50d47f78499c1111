"""Lifecycle stages configurable per workspace (issue 15, item 10): every write path checks new
values against the workspace's stages."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from kith_errors import ValidationError

STAGES = ["Prospect", "Active", "At Risk", "VIP"]


def test_the_defaults_until_a_workspace_sets_its_own(ws: Workspace) -> None:
    assert ws.settings.lifecycle_stages == [
        "subscriber",
        "lead",
        "qualified",
        "customer",
        "churned",
    ]
    ws.settings.set_lifecycle_stages([" Prospect", "Active", "At Risk", "VIP "])
    assert ws.settings.lifecycle_stages == STAGES
    assert ws.settings.as_dict()["lifecycle_stages"] == STAGES
    ws.settings.reset()
    assert ws.settings.lifecycle_stages[0] == "subscriber"


@pytest.mark.parametrize(
    ("stages", "problem"),
    [([], "between 1 and 20"), (["VIP", "VIP"], "'VIP' is listed twice"), (["a/b"], "1-40")],
)
def test_bad_stage_lists_are_refused(ws: Workspace, stages: list[str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ws.settings.set_lifecycle_stages(stages)


def test_edits_ingestion_imports_and_rules_check_the_workspace_stages(ws: Workspace) -> None:
    ws.settings.set_lifecycle_stages(STAGES)
    ana = ws.profiles.create({"email": "ana@example.com"}, {"lifecycle": "VIP"}).id
    with pytest.raises(ValidationError, match="lifecycle: must be one of Prospect, Active"):
        ws.profiles.update(ana, {"lifecycle": "customer"}, actor="t")
    report = ws.ingest.messages(
        [
            {"type": "identify", "userId": "u1", "traits": {"lifecycle": "At Risk"}},
            {"type": "identify", "userId": "u2", "traits": {"lifecycle": "churned"}},
        ]
    )
    assert [r.line for r in report.rejected] == [2]
    admitted = ws.intake.admit(
        [{"type": "identify", "userId": "u3", "traits": {"lifecycle": "lead"}}],
        dt.datetime(2030, 1, 1),
    )
    assert "must be one of Prospect" in admitted.refused[0].reason
    imported = ws.transfer.import_profiles("identifier,lifecycle\nx1,Active\nx2,lead\n", actor="t")
    assert imported.created == 1
    assert imported.errors["message"].tolist() == ["must be one of Prospect, Active, At Risk, VIP"]
    ws.rules.add("demote", 'when signup then set lifecycle = "churned"')
    ws.ingest.messages([{"type": "track", "event": "signup", "userId": "u1"}])
    assert ws.profiles.get(ws.profiles.resolve("u1")).lifecycle == "At Risk"
    assert "refused: lifecycle" in ws.db.scalar("SELECT outcome FROM rule_runs")
