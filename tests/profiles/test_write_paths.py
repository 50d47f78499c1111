"""Every way a value reaches a profile checks it like a manual edit: the tracking API's
admission and bulk ingestion (traits), a CSV import and the manual edit itself refuse the same
values of the standard vocabularies and of a registered custom property, and store nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from kith_errors import ValidationError


def identify(user: str, **traits: object) -> dict:
    return {"type": "identify", "userId": user, "traits": traits}


@pytest.mark.parametrize(
    ("trait", "value", "reason"),
    [
        ("lifecycle", "hero", "lifecycle: must be one of subscriber, lead"),
        ("platform", "fridge", "platform: must be one of web, mobile"),
        ("plan", "gold", "plan: must be one of ['free', 'pro']"),
    ],
)
def test_api_traits_bulk_ingestion_and_edits_refuse_the_same_values(
    ws: Workspace, trait: str, value: str, reason: str
) -> None:
    ws.catalog.define_property("plan", "string", enum=["free", "pro"])
    admitted = ws.intake.admit([identify("u1", **{trait: value})], dt.datetime(2030, 1, 1))
    assert [r.index for r in admitted.refused] == [0]
    assert reason in admitted.refused[0].reason
    report = ws.ingest.messages([identify("u1", **{trait: value}), identify("u2")])
    assert [r.line for r in report.rejected] == [1]
    assert reason in report.rejected[0].reason
    assert ws.profiles.find("user_id", "u1") is None  # nothing of the refused message
    u2 = ws.profiles.find("user_id", "u2")
    assert u2 is not None
    with pytest.raises(ValidationError, match=reason.split(":")[0]):
        ws.profiles.update(u2, {trait: value}, actor="admin")


def test_a_csv_import_refuses_a_value_outside_a_standard_vocabulary(ws: Workspace) -> None:
    csv = "identifier,platform\nx1,fridge\nx2,web\n"
    report = ws.transfer.import_profiles(csv, actor="admin")
    assert report.created == 1
    errors = report.errors[["row", "column", "message"]].values.tolist()
    assert errors == [[2, "platform", "must be one of web, mobile"]]  # line 2 of the file
    assert ws.db.rows("SELECT platform FROM profiles") == [("web",)]
