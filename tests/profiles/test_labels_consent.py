"""Labels and consent: bulk labels, append-only consent history, coverage and violations."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from engine import Workspace
from kith_errors import NotFound, ValidationError
from tests.profiles.helpers import T0, add_event

DAY = dt.timedelta(days=1)


@pytest.fixture
def three(ws: Workspace) -> list[int]:
    return [ws.profiles.create({"user_id": f"u{i}"}, {"name": f"P{i}"}).id for i in range(3)]


def test_labels_in_bulk(ws: Workspace, three: list[int]) -> None:
    a, b, c = three
    assert ws.labels.add([a, b], "vip", actor="rule:big-spender") == 2
    assert ws.labels.add([a, c], " vip ", actor="maria") == 1  # a already had it
    assert ws.labels.add(a, "beta", actor="maria") == 1
    assert ws.labels.of(a) == ["beta", "vip"]
    assert ws.labels.all().values.tolist() == [["beta", 1], ["vip", 3]]
    assert ws.labels.remove([a, b], "vip", actor="maria") == 2
    assert ws.labels.of(b) == []
    actors = ws.db.rows("SELECT actor FROM labels WHERE label = 'vip'")
    assert actors == [("maria",)]
    history = ws.profiles.field_history(a)
    assert history["action"].tolist() == ["create", "label_add", "label_add", "label_remove"]


def test_label_errors(ws: Workspace, three: list[int]) -> None:
    with pytest.raises(ValidationError, match="cannot be empty"):
        ws.labels.add(three[0], " ", actor="admin")
    with pytest.raises(NotFound, match="no such profile: 99"):
        ws.labels.add([three[0], 99], "vip", actor="admin")
    assert ws.labels.of(three[0]) == []  # nothing half-applied


def test_consent_history_is_append_only(ws: Workspace, three: list[int]) -> None:
    a = three[0]
    ws.consent.set(a, "whatsapp", "granted", at=T0, source="form")
    first = ws.db.rows("SELECT * FROM consent_log")
    ws.consent.set(a, "whatsapp", "revoked", at=T0 + 2 * DAY, actor="ana")
    ws.consent.set(a, "whatsapp", "denied", at=T0 + DAY)  # arrives late: history only
    ws.consent.set(a, "email", "granted", at=T0)
    current = ws.consent.of(a).set_index("channel")["status"].to_dict()
    assert current == {"email": "granted", "whatsapp": "revoked"}
    history = ws.consent.history(a, channel="whatsapp")
    assert history["status"].tolist() == ["revoked", "denied", "granted"]
    assert set(first) <= set(ws.db.rows("SELECT * FROM consent_log"))  # never rewritten
    assert ws.consent.history(search="p0")["profile_id"].tolist() == [a] * 4
    assert ws.consent.history(search="nobody").empty
    with pytest.raises(ValidationError, match="status 'maybe'"):
        ws.consent.set(a, "email", "maybe")
    with pytest.raises(ValidationError, match="channel 'E Mail'"):
        ws.consent.set(a, "E Mail", "granted")
    with pytest.raises(NotFound):
        ws.consent.set(404, "email", "granted")


def test_coverage_counts_unknown(ws: Workspace, three: list[int]) -> None:
    a, b, _ = three
    ws.consent.set(a, "whatsapp", "granted", at=T0)
    ws.consent.set(b, "whatsapp", "revoked", at=T0)
    ws.consent.set(b, "email", "granted", at=T0, purpose="transactional")
    cover = ws.consent.coverage()
    whatsapp = cover[cover["channel"] == "whatsapp"].set_index("status")["profiles"].to_dict()
    assert whatsapp == {"granted": 1, "denied": 0, "revoked": 1, "unknown": 1}
    email = cover[cover["channel"] == "email"].set_index("status")["profiles"].to_dict()
    assert email["unknown"] == 3  # the transactional consent does not count for marketing
    assert (cover.groupby("channel")["profiles"].sum() == 3).all()


def test_changes_over_time(ws: Workspace, three: list[int]) -> None:
    ws.consent.set(three[0], "sms", "granted", at=T0)
    ws.consent.set(three[1], "sms", "granted", at=T0 + dt.timedelta(hours=2))
    ws.consent.set(three[1], "sms", "revoked", at=T0 + DAY)
    by_day = ws.consent.changes_over_time("day")
    assert by_day[["status", "changes"]].values.tolist() == [["granted", 2], ["revoked", 1]]
    assert ws.consent.changes_over_time("month")["changes"].sum() == 3
    with pytest.raises(ValidationError, match="bucket 'year'"):
        ws.consent.changes_over_time("year")


def test_violations_use_consent_at_send_time(ws: Workspace, three: list[int]) -> None:
    a, b, c = three
    ws.consent.set(a, "whatsapp", "granted", at=T0)
    ws.consent.set(a, "whatsapp", "revoked", at=T0 + 2 * DAY)
    ws.consent.set(b, "whatsapp", "granted", at=T0 + DAY)
    sent = {
        "ok": add_event(ws, a, "message_sent", T0 + DAY, channel="whatsapp"),
        "after_revoke": add_event(ws, a, "message_sent", T0 + 3 * DAY, channel="whatsapp"),
        "before_grant": add_event(ws, b, "message_sent", T0, channel="whatsapp"),
        "never_asked": add_event(ws, c, "message_sent", T0, channel="whatsapp"),
    }
    add_event(ws, c, "message_read", T0, channel="whatsapp")  # not a send
    found = ws.consent.violations()
    assert dict(zip(found["event_id"], found["consent"], strict=True)) == {
        sent["after_revoke"]: "revoked",
        sent["before_grant"]: "unknown",
        sent["never_asked"]: "unknown",
    }
    windowed = ws.consent.violations(start=T0 + DAY, end=T0 + 10 * DAY)
    assert windowed["event_id"].tolist() == [sent["after_revoke"]]


def test_bad_inputs_are_named(ws: Workspace, three: list[int]) -> None:
    with pytest.raises(ValidationError, match="whole numbers, got 'x'"):
        ws.labels.add([three[0], "x"], "vip", actor="admin")  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="consent time: 'soon' is not an ISO 8601"):
        ws.consent.set(three[0], "email", "granted", at="soon")
    with pytest.raises(ValidationError, match="start: 'monday'"):
        ws.consent.violations(start="monday")
    with pytest.raises(ValidationError, match="end: 'later'"):
        ws.profiles.timeline(three[0], end="later")
    with pytest.raises(ValidationError, match="enum value 'many' is not a number"):
        ws.catalog.define_property("size", "number", enum=[1, "many"])
    numpy_ids = pd.Series(three).to_numpy()  # ids straight from a DataFrame work too
    assert ws.labels.add(numpy_ids, "vip", actor="rule:x") == 3
