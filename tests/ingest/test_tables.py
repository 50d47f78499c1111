"""Flat events from DataFrames, CSV and Parquet files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from engine import Workspace
from kith_errors import IngestError

ROWS = [
    {
        "message_id": "e1",
        "user_id": "u1",
        "email": "Ana@Example.com",
        "type": "purchase",
        "timestamp": "2026-03-01T10:00:00+01:00",
        "channel": "web",
        "prop_amount": 30,
        "prop_currency": "EUR",
        "trait_name": "Ana",
        "trait_tier": "gold",
    },
    {
        "message_id": "e2",
        "user_id": "u1",
        "whatsapp": "+351911111111",
        "type": "Message Read",
        "timestamp": "2026-03-01T09:10:00Z",
        "channel": "whatsapp",
        "prop_amount": None,
        "prop_currency": None,
    },
    {"message_id": "e3", "anonymous_id": "a9", "type": "page_view", "timestamp": "never"},
]


def _check_landed(ws: Workspace) -> None:
    events = ws.db.dicts("SELECT message_id, type, ts, properties FROM events ORDER BY message_id")
    real = [e for e in events if e["type"] != "session_started"]
    assert [(e["message_id"], e["type"]) for e in real] == [
        ("e1", "purchase"),
        ("e2", "message_read"),
    ]
    assert real[0]["ts"] == dt.datetime(2026, 3, 1, 9, 0)
    assert json.loads(real[0]["properties"]) == {"amount": 30, "currency": "EUR"}
    assert json.loads(real[1]["properties"]) == {}
    profile = ws.db.dicts("SELECT name, email, properties FROM profiles")[0]
    assert (profile["name"], profile["email"]) == ("Ana", "ana@example.com")
    assert json.loads(profile["properties"]) == {"tier": "gold"}
    assert ws.db.scalar("SELECT count(DISTINCT profile_id) FROM identities") == 1


def test_a_dataframe_lands_with_prop_and_trait_columns(ws: Workspace) -> None:
    report = ws.ingest.table(pd.DataFrame(ROWS))
    assert report.accepted == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "timestamp 'never' is not ISO 8601")
    ]
    _check_landed(ws)


def test_an_arrow_table_is_accepted(ws: Workspace) -> None:
    frame = pd.DataFrame(ROWS[:2]).astype({"prop_amount": "float64"})
    report = ws.ingest.table(pa.Table.from_pandas(frame))
    assert report.accepted == 2


def test_csv_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    report = ws.ingest.file(path)
    assert report.accepted == 2 and [r.line for r in report.rejected] == [3]
    events = ws.db.rows("SELECT properties FROM events WHERE message_id = 'e1'")
    assert json.loads(events[0][0]) == {"amount": "30.0", "currency": "EUR"}


def test_parquet_file_with_native_timestamps(ws: Workspace, tmp_path: Path) -> None:
    frame = pd.DataFrame(ROWS[:2])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    report = ws.ingest.file(path)
    assert report.accepted == 2
    _check_landed(ws)


def test_a_properties_json_column_and_generated_message_ids(ws: Workspace) -> None:
    frame = pd.DataFrame(
        {
            "anonymous_id": ["a1", "a1", "a2"],
            "type": ["signup", "signup", "signup"],
            "timestamp": ["2026-03-01T10:00:00Z"] * 3,
            "properties": ['{"method": "google"}', '{"method": "google"}', "[1]"],
        }
    )
    report = ws.ingest.table(frame)
    assert (report.accepted, report.duplicates) == (1, 1)
    assert [(r.line, r.reason) for r in report.rejected] == [(3, "properties is not a JSON object")]
    again = ws.ingest.table(frame.iloc[:1])
    assert again.duplicates == 1


def test_missing_required_columns_are_named(ws: Workspace) -> None:
    with pytest.raises(IngestError, match="needs a 'timestamp' column"):
        ws.ingest.table(pd.DataFrame({"type": ["x"], "user_id": ["u"]}))


def test_unknown_file_formats_are_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    path.write_text("x")
    with pytest.raises(IngestError, match="unknown format 'xlsx'"):
        ws.ingest.file(path)
