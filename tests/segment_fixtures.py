"""THE hand-made dataset of the segment language: twelve profiles with events, labels, consents
and identities, evaluated at `AS_OF`, and for each construct the exact profile ids expected.

Docs and other test suites reuse it: `load(ws)` writes it into a workspace, `dataset()` gives the
same rows to the pure-Python reference evaluator, and `EXPECTED` maps expressions to ids."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from engine import Workspace

AS_OF = dt.datetime(2026, 3, 1)
CUSTOM_PROPERTIES = {"plan": "string", "lifetime_value": "number"}
EVENT_TYPES = {"csat_submitted": {"score": "number"}}


def _day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# id, name, email, country, company, lifecycle, plan, lifetime_value, created_at, last_seen, json
_PROFILES: list[tuple[Any, ...]] = [
    (
        1,
        "Ana",
        "ana@acme.com",
        "ID",
        "Acme",
        "customer",
        "pro",
        800,
        "2026-02-20",
        "2026-02-28",
        None,
    ),
    (
        2,
        "Budi",
        "budi@gmail.com",
        "ID",
        None,
        "lead",
        "free",
        300,
        "2025-06-01",
        "2026-01-10",
        None,
    ),
    (
        3,
        "Chen",
        "chen@acme.com",
        "US",
        "Acme",
        "churned",
        "team",
        1500,
        "2025-01-05",
        "2026-02-10",
        None,
    ),
    (4, "Dewi", "dewi@example.com", None, None, None, None, None, "2025-12-01", None, None),
    (
        5,
        "Eko",
        "eko@beta.io",
        "SG",
        "Beta",
        "customer",
        "pro",
        500,
        "2025-09-09",
        "2026-02-27",
        None,
    ),
    (
        6,
        "Fitri",
        "fitri@gmail.com",
        "ID",
        None,
        "qualified",
        "team",
        499.5,
        "2026-01-31",
        "2026-03-01",
        None,
    ),
    (7, "Gita", None, "MY", None, "subscriber", "free", 0, "2025-11-11", "2026-01-01", None),
    (
        8,
        "Hadi",
        "hadi@acme.com",
        "ID",
        "Acme",
        "customer",
        None,
        2000,
        "2026-02-27",
        "2026-02-28",
        None,
    ),
    (9, "Indah", "indah@mail.co", "TH", None, "lead", "pro", 120, "2025-08-08", "2026-02-11", None),
    (
        10,
        "Joko",
        "joko@mail.co",
        "ID",
        None,
        "lead",
        None,
        None,
        "2025-07-07",
        "2026-02-15",
        '{"tier": "gold", "score": 7}',
    ),
    (
        11,
        "Kiki",
        "kiki@acme.com",
        None,
        None,
        "lead",
        None,
        None,
        "2026-02-01",
        "2026-02-26",
        '{"tier": "silver"}',
    ),
    (
        12,
        "Lina",
        "lina@mail.co",
        "ID",
        None,
        "customer",
        "pro",
        2000,
        "2025-05-05",
        "2026-02-28",
        None,
    ),
]
# id, profile, type, ts, channel, properties
_EVENTS: list[tuple[Any, ...]] = [
    (101, 1, "signup", "2026-02-18", "web", {"method": "email"}),
    (102, 1, "purchase", "2026-02-20", "web", {"amount": 150}),
    (103, 1, "purchase", "2026-02-25", "web", {"amount": 120}),
    (104, 1, "page_view", "2026-02-27", "web", {"url": "https://kith.io/pricing"}),
    (201, 2, "signup", "2026-01-01", "web", {"method": "google"}),
    (202, 2, "page_view", "2026-01-10", "web", {"url": "https://kith.io/docs"}),
    (203, 2, "purchase", "2026-01-20", "web", {"amount": 50}),
    (301, 3, "purchase", "2025-10-01", "web", {"amount": 10}),
    (302, 3, "purchase", "2026-01-15", "web", {"amount": 600}),
    (303, 3, "purchase", "2026-02-10", "web", {"amount": 500}),
    (501, 5, "page_view", "2026-02-22", "web", {"url": "https://kith.io/"}),  # as_of - 7 days
    (502, 5, "link_clicked", "2026-02-27", "email", {"url": "https://kith.io/pricing"}),
    (601, 6, "page_view", "2026-03-01", "web", {"url": "https://kith.io/"}),  # exactly as_of
    (602, 6, "purchase", "2026-03-02", "web", {"amount": 9999}),  # after as_of: invisible
    (603, 6, "form_submitted", "2026-02-01", "web", {"form": "demo"}),
    (701, 7, "message_read", "2026-01-01", "whatsapp", {"campaign": "jan"}),  # window start
    (702, 7, "form_submitted", "2026-01-05", "web", {"form": "contact"}),
    (703, 7, "form_submitted", "2026-01-06", "web", {"form": "contact"}),
    (801, 8, "message_read", "2026-02-01", "whatsapp", {"campaign": "feb"}),  # window end
    (802, 8, "signup", "2026-02-27", "web", {"method": "email"}),
    (803, 8, "purchase", "2026-02-28", "web", {"amount": 2000}),
    (901, 9, "purchase", "2026-02-10", "web", {"amount": 40}),
    (902, 9, "signup", "2026-02-11", "web", {"method": "email"}),
    (1001, 10, "csat_submitted", "2026-02-15", "widget", {"score": 4}),
    (1101, 11, "message_read", "2026-02-26", "email", {"campaign": "feb"}),
    (1201, 12, "purchase", "2026-02-28", "web", {"amount": 100}),
]
# profile, type, value
_IDENTITIES = [
    *((pid, "user_id", f"u{pid}") for pid in range(1, 13)),
    (1, "whatsapp", "+6281100001"),
    (3, "whatsapp", "+14155550003"),
    (7, "telegram", "gita_tg"),
    (10, "line", "joko-line"),
]
LABELS = [(1, "vip"), (3, "vip"), (12, "beta"), (5, "newsletter")]
# id, profile, channel, status, changed_at
_CONSENTS = [
    (1, 1, "whatsapp", "granted", "2026-01-01"),
    (2, 2, "whatsapp", "denied", "2026-01-02"),
    (3, 3, "whatsapp", "granted", "2026-01-03"),
    (4, 3, "whatsapp", "revoked", "2026-02-03"),
    (5, 11, "email", "granted", "2026-02-01"),
    (6, 5, "whatsapp", "granted", "2026-03-05"),  # after as_of: not yet known
]

ALL = set(range(1, 13))
# Every dsl.md example (and the edges the semantics pin) -> the profile ids at AS_OF.
EXPECTED: dict[str, set[int]] = {
    'country = "ID" and lifetime_value >= 500': {1, 8, 12},
    'plan in ["pro", "team"] or company is set': {1, 3, 5, 6, 8, 9, 12},
    'email ends with "@acme.com" and not (lifecycle = "churned")': {1, 8, 11},
    "created_at within last 30 days": {1, 6, 8, 11},
    "last_seen more than 30 days ago": {2, 7},
    "did purchase": {1, 2, 3, 8, 9, 12},
    "did purchase where amount > 100 at least 2 times in last 14 days": {1},
    "did not page_view in last 30 days": ALL - {1, 5, 6},
    'did link_clicked where url contains "/pricing" and channel = "email" in last 7 days': {5},
    'did message_read between "2026-01-01" and "2026-02-01"': {7},
    "did form_submitted exactly 1 times": {6},
    "total amount of purchase in last 90 days > 1000": {3, 8},
    "first purchase more than 90 days ago": {3},
    "did signup then purchase within 7 days": {1, 8},
    'in segment "active_subscribers"': {1, 5, 6, 8, 11, 12},
    'has label "vip"': {1, 3},
    "consent whatsapp is granted": {1},
    "has channel whatsapp": {1, 3, 7, 8},
    # semantics
    'not (country = "US")': ALL - {3},
    'country != "US"': ALL - {3, 4, 11},
    "did page_view in last 7 days": {1, 6},
    "did purchase at most 1 times": ALL - {1, 3},
    "did purchase between 2 and 3 times": {1, 3},
    "consent whatsapp is revoked": {3},
    "consent whatsapp is denied": {2},
    "consent whatsapp is unknown": ALL - {1, 2, 3},
    'properties.tier = "gold"': {10},
    "properties.score >= 5": {10},
    "did csat_submitted where score >= 4": {10},
    'email = "DEWI@EXAMPLE.COM"': {4},
    "did any event in last 3 days": {1, 5, 6, 8, 12},
    "last purchase within last 7 days": {1, 8, 12},
    "did purchase then purchase within 7 days": {1},  # one event never fills two steps
    "did purchase then purchase": {1, 3},
}
SAVED = {"active_subscribers": 'did any event in last 7 days and lifecycle != "churned"'}


def _ts(text: str | None) -> dt.datetime | None:
    return None if text is None else _day(text)


def profile_rows() -> list[dict[str, Any]]:
    keys = ("id", "name", "email", "country", "company", "lifecycle", "plan", "lifetime_value")
    rows = []
    for row in _PROFILES:
        item = dict(zip(keys, row[:8], strict=True))
        item["lifetime_value"] = None if row[7] is None else float(row[7])
        created = _day(row[8])
        item |= {"created_at": created, "updated_at": created, "first_seen": created}
        item |= {"last_seen": _ts(row[9]), "properties": row[10]}
        rows.append(item)
    return rows


def event_rows() -> list[dict[str, Any]]:
    keys = ("id", "profile_id", "type", "ts", "channel", "properties")
    rows = [dict(zip(keys, row, strict=True)) for row in _EVENTS]
    for row in rows:
        row |= {"ts": _day(row["ts"]), "source": "fixture", "message_id": f"m{row['id']}"}
    return rows


def identity_rows() -> list[dict[str, Any]]:
    created = dt.datetime(2025, 1, 1)
    keys = ("profile_id", "type", "value")
    return [dict(zip(keys, r, strict=True)) | {"created_at": created} for r in _IDENTITIES]


def consent_rows() -> list[dict[str, Any]]:
    keys = ("id", "profile_id", "channel", "status", "changed_at")
    rows = [dict(zip(keys, r, strict=True)) for r in _CONSENTS]
    return [r | {"changed_at": _day(r["changed_at"]), "purpose": "marketing"} for r in rows]


def define_schema(ws: Workspace) -> None:
    for name, kind in CUSTOM_PROPERTIES.items():
        ws.catalog.define_property(name, kind)  # type: ignore[arg-type]
    for name, props in EVENT_TYPES.items():
        ws.catalog.register_event_type(name, properties=props)


def load(ws: Workspace, *, saved: bool = True) -> None:
    """Write the dataset into an empty workspace (and save the fixture's segments)."""
    define_schema(ws)
    write_rows(ws, profile_rows(), event_rows(), identity_rows(), LABELS, consent_rows())
    if saved:
        for name, expression in SAVED.items():
            ws.segments.save(name, expression=expression)


def write_rows(
    ws: Workspace,
    profiles: list[dict[str, Any]],
    events: list[dict[str, Any]],
    identities: list[dict[str, Any]],
    labels: list[tuple[int, str]],
    consents: list[dict[str, Any]],
) -> None:
    """Bulk-insert rows (a test helper: the ingestion path is tested elsewhere)."""
    frames = {
        "profiles": pd.DataFrame(profiles),
        "events": _events_frame(events),
        "identities": pd.DataFrame(
            identities, columns=["profile_id", "type", "value", "created_at"]
        ),
        "labels": _labels_frame(labels),
        "consent_log": pd.DataFrame(
            consents, columns=["id", "profile_id", "channel", "status", "changed_at", "purpose"]
        ),
    }
    _reserve_ids(ws, "profiles", [row["id"] for row in profiles])
    _reserve_ids(ws, "events", [row["id"] for row in events])
    with ws.db.transaction():
        for table, frame in frames.items():
            if len(frame):
                ws.db.register("_fixture_rows", frame)
                ws.db.execute(_INSERTS[table])
                ws.db.unregister("_fixture_rows")


_INSERTS = {
    "profiles": "INSERT INTO profiles BY NAME SELECT * FROM _fixture_rows",
    "events": "INSERT INTO events BY NAME SELECT * FROM _fixture_rows",
    "identities": "INSERT INTO identities BY NAME SELECT * FROM _fixture_rows",
    "labels": "INSERT INTO labels BY NAME SELECT * FROM _fixture_rows",
    "consent_log": "INSERT INTO consent_log BY NAME SELECT * FROM _fixture_rows",
}


def _reserve_ids(ws: Workspace, space: str, ids: list[int]) -> None:
    """Advance the id counter past hand-picked ids, so later ingestion allocates fresh ones."""
    current = ws.db.allocate_ids(space, 0) - 1
    if ids and max(ids) > current:
        ws.db.allocate_ids(space, max(ids) - current)


def _events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        events,
        columns=["id", "profile_id", "type", "ts", "channel", "properties", "source", "message_id"],
    )
    frame["properties"] = [None if p is None else json.dumps(p) for p in frame["properties"]]
    frame["received_at"] = frame["ts"]
    return frame


def _labels_frame(labels: list[tuple[int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(labels, columns=["profile_id", "label"])
    frame["added_at"] = dt.datetime(2025, 1, 1)
    frame["actor"] = "fixture"
    return frame
