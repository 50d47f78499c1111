"""Segment-spec messages and JSONL: validation, dedupe, mapping, time zones."""

from __future__ import annotations

import datetime as dt
import io
import json

from engine import Workspace


def _track(message_id: str | None, user: str = "u1", **extra: object) -> dict[str, object]:
    msg: dict[str, object] = {
        "type": "track",
        "userId": user,
        "event": "Order Completed",
        "timestamp": "2026-03-01T10:00:00Z",
        **extra,
    }
    if message_id:
        msg["messageId"] = message_id
    return msg


def test_malformed_jsonl_lines_are_rejected_by_line_and_the_rest_land(ws: Workspace) -> None:
    lines = [
        json.dumps(_track("m1")),
        "{not json",
        json.dumps({"type": "track", "userId": "u2"}),
        "",
        json.dumps(_track("m2", timestamp="yesterday")),
        json.dumps({"type": "wave", "userId": "u3"}),
        json.dumps(_track("m3", user="u3")),
    ]
    report = ws.ingest.jsonl(io.StringIO("\n".join(lines)))
    assert report.accepted == 2
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [2, 3, 5, 6]
    assert reasons[2].startswith("not valid JSON")
    assert "event name" in reasons[3]
    assert "'yesterday' is not ISO 8601" in reasons[5]
    assert "type must be one of" in reasons[6]
    assert ws.db.scalar("SELECT count(*) FROM events WHERE type = 'order_completed'") == 2


def test_a_resent_message_id_is_stored_once(ws: Workspace) -> None:
    first = ws.ingest.messages([_track("m1"), _track("m1"), _track("m2")])
    assert (first.accepted, first.duplicates) == (2, 1)
    again = ws.ingest.messages([_track("m2"), _track("m3")])
    assert (again.accepted, again.duplicates) == (1, 1)
    assert (
        ws.db.scalar("SELECT count(DISTINCT message_id) FROM events WHERE type = 'order_completed'")
        == 3
    )


def test_a_message_without_id_gets_a_deterministic_one(ws: Workspace) -> None:
    ws.ingest.messages([_track(None)])
    report = ws.ingest.messages([_track(None)])
    assert (report.accepted, report.duplicates) == (0, 1)
    ids = ws.db.rows("SELECT message_id FROM events WHERE type = 'order_completed'")
    assert len(ids) == 1 and ids[0][0].startswith("h-")


def test_a_bad_message_in_the_middle_keeps_the_good_duplicate(ws: Workspace) -> None:
    bad = _track("m1", timestamp="nope")
    report = ws.ingest.messages([bad, _track("m1")])
    assert report.accepted == 1 and [r.line for r in report.rejected] == [1]


def test_timestamps_with_offsets_are_stored_in_utc(ws: Workspace) -> None:
    ws.ingest.messages(
        [
            _track("a", timestamp="2026-03-01T12:30:00+02:00"),
            _track("b", timestamp="2026-03-01T05:30:00-05:00"),
            _track("c", timestamp="2026-03-01T10:30:00.250Z"),
        ]
    )
    got = dict(ws.db.rows("SELECT message_id, ts FROM events WHERE type = 'order_completed'"))
    assert got["a"] == dt.datetime(2026, 3, 1, 10, 30)
    assert got["b"] == dt.datetime(2026, 3, 1, 10, 30)
    assert got["c"] == dt.datetime(2026, 3, 1, 10, 30, 0, 250000)


def test_event_names_become_snake_case_and_bad_names_are_rejected(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [
            _track("a", event="Order Completed"),
            _track("b", event="productViewed"),
            _track("c", event="sign-up"),
            _track("d", event="!!!"),
        ]
    )
    types = {r[0] for r in ws.db.rows("SELECT type FROM events WHERE message_id < 'd'")}
    assert types == {"order_completed", "product_viewed", "sign_up"}
    assert [r.line for r in report.rejected] == [4]
    assert "'!!!' is not a valid name" in report.rejected[0].reason


def test_identify_applies_traits_to_the_profile(ws: Workspace) -> None:
    traits = {
        "email": " Ana@Example.COM ",
        "phone": "+44 7700-900 123",
        "firstName": "Ana",
        "lastName": "Lima",
        "company": {"name": "Acme"},
        "address": {"city": "Porto", "country": "PT"},
        "plan": "pro",
    }
    ws.ingest.messages([{"type": "identify", "userId": "u1", "traits": traits}])
    row = ws.db.dicts("SELECT name, email, phone, company, city, country, properties FROM profiles")
    assert row[0] | {"properties": json.loads(row[0]["properties"])} == {
        "name": "Ana Lima",
        "email": "ana@example.com",
        "phone": "+447700900123",
        "company": "Acme",
        "city": "Porto",
        "country": "PT",
        "properties": {"plan": "pro"},
    }
    keys = set(ws.db.rows("SELECT type, value FROM identities"))
    assert keys == {("user_id", "u1"), ("email", "ana@example.com"), ("phone", "+447700900123")}


def test_a_malformed_email_is_rejected_with_the_value(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [{"type": "identify", "userId": "u1", "traits": {"email": "not-an-email"}}]
    )
    assert report.rejected[0].reason == "email 'not-an-email' is not an email address"
    assert ws.db.scalar("SELECT count(*) FROM profiles") == 0


def test_channel_ids_come_from_traits_and_external_ids(ws: Workspace) -> None:
    msg = {
        "type": "track",
        "anonymousId": "a1",
        "event": "message_read",
        "context": {
            "channel": "whatsapp",
            "traits": {"whatsapp": "+5511999990000"},
            "externalIds": [{"type": "telegram", "id": "tg42"}, {"type": "crm_id", "id": "x"}],
        },
    }
    ws.ingest.messages([msg])
    keys = set(ws.db.rows("SELECT type, value FROM identities"))
    assert keys == {("anonymous_id", "a1"), ("whatsapp", "+5511999990000"), ("telegram", "tg42")}
    assert ws.db.scalar("SELECT channel FROM events WHERE type = 'message_read'") == "whatsapp"


def test_external_ids_fill_a_user_id_the_message_does_not_give(ws: Workspace) -> None:
    """userId absent (None in the parsed keys) must not hide context.externalIds' user_id;
    a userId given directly still wins over an external one."""
    ext = {"externalIds": [{"type": "user_id", "id": "crm-7"}, {"type": "email", "id": "A@x.io"}]}
    bare = {"type": "track", "anonymousId": "a1", "event": "opened", "context": ext}
    given = {**bare, "userId": "u-given", "anonymousId": "a2", "messageId": "m2"}
    report = ws.ingest.messages([bare, given])
    assert report.accepted == 2
    keys = set(ws.db.rows("SELECT type, value FROM identities"))
    assert {("user_id", "crm-7"), ("email", "a@x.io"), ("user_id", "u-given")} <= keys
    owner = "SELECT profile_id FROM identities WHERE type = $t AND value = $v"
    assert ws.db.scalar(owner, {"t": "anonymous_id", "v": "a1"}) == ws.db.scalar(
        owner, {"t": "user_id", "v": "crm-7"}
    )


def test_page_screen_and_group_map_to_their_types(ws: Workspace) -> None:
    ws.ingest.messages(
        [
            {
                "type": "page",
                "anonymousId": "a1",
                "name": "Pricing",
                "context": {"page": {"url": "https://k.io/pricing", "path": "/pricing"}},
            },
            {"type": "screen", "anonymousId": "a1", "name": "Home", "context": {"sessionId": "s9"}},
            {"type": "group", "userId": "u1", "groupId": "acme", "traits": {"plan": "team"}},
        ]
    )
    rows = {
        r[0]: (r[1], json.loads(r[2]))
        for r in ws.db.rows(
            "SELECT type, channel, properties FROM events WHERE type <> 'session_started'"
        )
    }
    assert rows["page_view"] == (
        "web",
        {"url": "https://k.io/pricing", "path": "/pricing", "name": "Pricing"},
    )
    assert rows["screen"] == (None, {"name": "Home"})
    assert rows["group"] == (None, {"group_id": "acme", "traits": {"plan": "team"}})


def test_unknown_channels_and_non_object_fields_are_rejected(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [
            _track("a", context={"channel": "pigeon"}),
            _track("b", properties=[1, 2]),
            _track("c", userId=True),
            "just text",
        ]
    )
    reasons = [r.reason for r in report.rejected]
    assert reasons[0].startswith("unknown channel 'pigeon'")
    assert reasons[1] == "properties must be an object, got list"
    assert reasons[2] == "userId must be a string or a number, got True"
    assert reasons[3] == "a message must be a JSON object"
    assert report.accepted == 0


RECEIVED = dt.datetime(2026, 3, 2, 12, 0)


def _stored_times(ws: Workspace, msgs: list[dict[str, object]]) -> dict[str, dt.datetime]:
    ws.ingest.messages(msgs, received_at=RECEIVED)
    return dict(ws.db.rows("SELECT message_id, ts FROM events WHERE type = 'order_completed'"))


def test_sent_at_corrects_the_device_clock(ws: Workspace) -> None:
    """Segment: timestamp = receivedAt - (sentAt - timestamp); both device times, any offset."""
    got = _stored_times(
        ws,
        [
            _track("fast", timestamp="2026-03-05T10:00:00Z", sentAt="2026-03-05T10:00:05Z"),
            _track("zoned", timestamp="2026-03-01T11:00:00+01:00", sentAt="2026-03-01T10:30:00Z"),
            _track("plain", timestamp="2026-03-01T10:00:00Z"),
            _track("blank", timestamp="2026-03-01T10:00:00Z", sentAt=""),
        ],
    )
    assert got["fast"] == RECEIVED - dt.timedelta(seconds=5)
    assert got["zoned"] == RECEIVED - dt.timedelta(minutes=30)
    assert got["plain"] == got["blank"] == dt.datetime(2026, 3, 1, 10, 0)


def test_original_timestamp_stands_in_for_a_missing_timestamp(ws: Workspace) -> None:
    got = _stored_times(
        ws,
        [
            {**_track("orig"), "timestamp": None, "originalTimestamp": "2026-03-01T09:00:00Z"},
            {
                **_track("skewed"),
                "timestamp": None,
                "originalTimestamp": "2026-03-01T09:00:00Z",
                "sentAt": "2026-03-01T09:01:00Z",
            },
            {**_track("none"), "timestamp": None, "sentAt": "2026-03-01T09:01:00Z"},
        ],
    )
    assert got["orig"] == dt.datetime(2026, 3, 1, 9, 0)
    assert got["skewed"] == RECEIVED - dt.timedelta(minutes=1)
    assert got["none"] == RECEIVED


def test_a_bad_sent_at_is_rejected_naming_the_field(ws: Workspace) -> None:
    report = ws.ingest.messages(
        [_track("bad", sentAt="last tuesday"), _track("good", sentAt="2026-03-01T10:00:01Z")],
        received_at=RECEIVED,
    )
    assert report.accepted == 1
    assert [(r.line, r.reason) for r in report.rejected] == [
        (1, "sentAt 'last tuesday' is not ISO 8601")
    ]


def test_a_retry_with_a_new_sent_at_and_no_message_id_is_stored_once(ws: Workspace) -> None:
    ws.ingest.messages([_track(None, sentAt="2026-03-01T10:00:01Z")])
    report = ws.ingest.messages([_track(None, sentAt="2026-03-01T10:07:00Z")])
    assert (report.accepted, report.duplicates) == (0, 1)
